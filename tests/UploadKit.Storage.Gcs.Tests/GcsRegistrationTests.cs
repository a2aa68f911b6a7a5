using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace UploadKit.Storage.Gcs.Tests;

public sealed class GcsRegistrationTests
{
    private static StorageBackendContext Context(string storageName, Dictionary<string, string?> options)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(options.ToDictionary(kv => $"UploadKit:Storages:{storageName}:Options:{kv.Key}", kv => kv.Value))
            .Build();
        return new StorageBackendContext(
            storageName, configuration.GetSection($"UploadKit:Storages:{storageName}:Options"), new ServiceCollection().BuildServiceProvider());
    }

    [Test]
    public void CreateFromContext_FullOptions_BindsEveryOption()
    {
        var context = Context("media", new()
        {
            ["Bucket"] = "my-bucket",
            ["ProjectId"] = "my-project",
            ["KeyPrefix"] = "uploads/",
            ["DefaultAcl"] = "publicRead",
            ["Endpoint"] = "http://127.0.0.1:4443",
            ["SignedUrls"] = "false",
            ["UrlExpiry"] = "02:00:00",
            ["Overwrite"] = "true",
            ["ChunkSize"] = "524288",
            ["CacheControl"] = "no-cache",
            ["ContentDisposition"] = "inline",
        });

        var options = GcsUploadKitBuilderExtensions.Bind(context.StorageName, context.Options);
        using var storage = GcsUploadKitBuilderExtensions.CreateFromContext(context);

        Assert.Multiple(() =>
        {
            Assert.That(options.Bucket, Is.EqualTo("my-bucket"));
            Assert.That(options.ProjectId, Is.EqualTo("my-project"));
            Assert.That(options.KeyPrefix, Is.EqualTo("uploads/"));
            Assert.That(options.DefaultAcl, Is.EqualTo("publicRead"));
            Assert.That(options.Endpoint, Is.EqualTo(new Uri("http://127.0.0.1:4443")));
            Assert.That(options.SignedUrls, Is.False);
            Assert.That(options.UrlExpiry, Is.EqualTo(TimeSpan.FromHours(2)));
            Assert.That(options.Overwrite, Is.True);
            Assert.That(options.ChunkSize, Is.EqualTo(524288));
            Assert.That(options.CacheControl, Is.EqualTo("no-cache"));
            Assert.That(options.ContentDisposition, Is.EqualTo("inline"));
            Assert.That(storage.ObjectName("a.txt"), Is.EqualTo("uploads/a.txt"));
        });
    }

    [Test]
    public void CreateFromContext_UnknownKey_ThrowsNamingStorageAndKey()
    {
        var context = Context("media", new() { ["Bucket"] = "b", ["BucketName"] = "typo" });

        var ex = Assert.Throws<OptionsValidationException>(() => GcsUploadKitBuilderExtensions.CreateFromContext(context));

        Assert.That(ex!.Message, Does.Contain("media").And.Contain("BucketName"));
        Assert.That(ex.OptionsName, Is.EqualTo("media"));
    }

    [TestCase("Bucket", "", "Bucket")]
    [TestCase("ChunkSize", "1000", "ChunkSize")]
    [TestCase("UrlExpiry", "8.00:00:00", "UrlExpiry")]
    [TestCase("DefaultAcl", "everyone", "DefaultAcl")]
    [TestCase("KeyPrefix", "../up", "KeyPrefix")]
    [TestCase("Endpoint", "http://localhost:4443/storage/v1/", "Endpoint")]
    [TestCase("CreateBucket", "true", "ProjectId")]
    public void CreateFromContext_InvalidOption_ThrowsNamingStorageAndOption(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { ["Bucket"] = "b", [key] = value };
        var context = Context("avatars", settings);

        var ex = Assert.Throws<OptionsValidationException>(() => GcsUploadKitBuilderExtensions.CreateFromContext(context));

        Assert.That(ex!.Message, Does.Contain("avatars").And.Contain(named));
    }

    [Test]
    public void CreateFromContext_EmptySection_ThrowsBucketRequired()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => GcsUploadKitBuilderExtensions.CreateFromContext(Context("empty", [])));

        Assert.That(ex!.Message, Does.Contain("Bucket is required"));
    }

    [Test]
    public void AddGcsStorage_NoArguments_RegistersGcsBackend()
    {
        var services = new ServiceCollection();
        var builder = services.AddUploadKit();

        var returned = builder.AddGcsStorage();

        Assert.That(returned, Is.SameAs(builder));
        // Core registers its built-in FileSystem and InMemory backends too; pick the one this package added.
        var registration = services.Select(d => d.ImplementationInstance)
            .Single(i => i?.GetType().Name == "StorageBackendRegistration" && (string?)i.GetType().GetProperty("BackendName")!.GetValue(i) == "Gcs");
        Assert.That(registration!.GetType().GetProperty("BackendName")!.GetValue(registration), Is.EqualTo("Gcs"));
    }

    [Test]
    public void AddGcsStorage_NamedInCode_RegistersKeyedStorage()
    {
        var services = new ServiceCollection();

        services.AddUploadKit().AddGcsStorage("photos", o => o.Bucket = "photos-bucket");

        Assert.That(services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, "photos") && d.ServiceType == typeof(IFileStorage)), Is.True);
        var registration = services.Select(d => d.ImplementationInstance).Single(i => i?.GetType().Name == "StorageRegistration");
        var factory = (Func<IServiceProvider, IFileStorage>)registration!.GetType().GetProperty("Factory")!.GetValue(registration)!;
        using var storage = (GcsStorage)factory(services.BuildServiceProvider());
        Assert.That(storage.ObjectName("x"), Is.EqualTo("x"));
    }

    [Test]
    public async Task GetUrlAsync_SignedUrlsOff_UsesConfiguredUrlStyle()
    {
        using var pathStyle = new GcsStorage(new GcsStorageOptions { Bucket = "b", SignedUrls = false });
        using var virtualHosted = new GcsStorage(new GcsStorageOptions { Bucket = "b", SignedUrls = false, VirtualHostedStyle = true });
        using var bound = new GcsStorage(new GcsStorageOptions
        {
            Bucket = "b",
            SignedUrls = false,
            BucketBoundHostname = new Uri("https://cdn.example.com"),
            KeyPrefix = "m"
        });

        Assert.Multiple(async () =>
        {
            Assert.That(await pathStyle.GetUrlAsync("a b/é.txt"), Is.EqualTo("https://storage.googleapis.com/b/a%20b/%C3%A9.txt"));
            Assert.That(await virtualHosted.GetUrlAsync("x.txt"), Is.EqualTo("https://b.storage.googleapis.com/x.txt"));
            Assert.That(await bound.GetUrlAsync("x.txt"), Is.EqualTo("https://cdn.example.com/m/x.txt"));
        });
    }

    [Test]
    public async Task CreateDownloadUrlAsync_BucketBoundHostname_SignsForThatHost()
    {
        using var storage = new GcsStorage(new GcsStorageOptions
        {
            Bucket = "b",
            BucketBoundHostname = new Uri("https://cdn.example.com"),
            CredentialsJson = TestServiceAccount.Json,
        });

        var signed = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest("x.txt"));

        Assert.That(signed.Url.GetLeftPart(UriPartial.Path), Is.EqualTo("https://cdn.example.com/x.txt"));
        Assert.That(signed.Url.Query, Does.Contain("X-Goog-SignedHeaders=host&"));
        var verifier = new FakeGcs.V4Verifier(TestServiceAccount.Json);
        Assert.That(verifier.VerifyUrl("GET", signed.Url.Authority, signed.Url.AbsolutePath, signed.Url.Query, [], DateTimeOffset.UtcNow), Is.Null);
    }
}
