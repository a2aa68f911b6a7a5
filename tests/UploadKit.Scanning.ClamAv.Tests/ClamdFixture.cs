using UploadKit.Testing;

namespace UploadKit.Scanning.ClamAv.Tests;

/// <summary>Starts one clamd for the test run (see <see cref="ClamdServer"/>) and stops it after.</summary>
[SetUpFixture]
public sealed class ClamdFixture
{
    private static string? _unavailable;

    /// <summary>Gets the running clamd.</summary>
    public static ClamdServer Server { get; private set; } = null!;

    /// <summary>Fails (under CI) or skips the calling test when clamd is not installed.</summary>
    public static void Require()
    {
        if (_unavailable is not null)
        {
            TestEnvironment.Unavailable(_unavailable);
        }
    }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (ClamdServer.Program is null)
        {
            _unavailable = "clamd is not installed; run eng/install-prerequisites.sh (as root) to install Debian's clamav-daemon.";
            return;
        }

        Server = await ClamdServer.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_unavailable is null && Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
