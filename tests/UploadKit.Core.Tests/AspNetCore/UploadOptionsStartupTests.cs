using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UploadKit.Tests.AspNetCore;

/// <summary>The built-in handlers' options are checked when the app starts, not at its first upload.</summary>
public class UploadOptionsStartupTests
{
    private static async Task<OptionsValidationException> StartExpectingFailureAsync(Action<IServiceCollection> services)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        services(builder.Services);
        await using var app = builder.Build();
        return Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync())!;
    }

    [Test]
    public async Task Start_NegativeMemoryThresholdInCode_FailsNamingTheOption()
    {
        var ex = await StartExpectingFailureAsync(s => s.AddUploadKit(o => o.MemoryBufferThreshold = -1));

        Assert.That(ex.Failures, Is.EqualTo(new[] { "UploadOptions.MemoryBufferThreshold is -1; it must be 0 or more." }));
    }

    [Test]
    public async Task Start_NegativeLargeRequestMemoryThreshold_FailsNamingTheOption()
    {
        var ex = await StartExpectingFailureAsync(s => s.AddUploadKit(o => o.LargeRequestMemoryBufferThreshold = -1));

        Assert.That(ex.Failures, Is.EqualTo(new[] { "UploadOptions.LargeRequestMemoryBufferThreshold is -1; it must be 0 or more." }));
    }

    [Test]
    public async Task Start_BadOptionsFromConfiguration_FailsNamingEachOption()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MaxPartHeaderCount"] = "0",
            ["TempFilePermissions"] = "rw-------",
        }).Build();

        var ex = await StartExpectingFailureAsync(s => s.AddUploadKit(configuration));

        Assert.That(ex.Failures, Is.EquivalentTo(new[]
        {
            "UploadOptions.MaxPartHeaderCount is 0; it must be more than 0.",
            "UploadOptions.TempFilePermissions is 'rw-------'; it must be an octal file mode such as \"600\".",
        }));
    }

    [Test]
    public async Task Start_TempFileDirectoryIsAFile_FailsNamingIt()
    {
        var file = Path.GetTempFileName();
        try
        {
            var ex = await StartExpectingFailureAsync(s => s.AddUploadKit(o => o.TempFileDirectory = file));

            Assert.That(ex.Message, Does.Contain($"UploadOptions.TempFileDirectory '{file}' is a file"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
