using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

public class StorageRegistryTests : TempDirectoryTests
{
    private ServiceProvider Build(Dictionary<string, string?> settings, Action<IUploadKitBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        var builder = services.AddUploadKit(configuration.GetSection("UploadKit"));
        configure?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    private static void ValidateOnStart(IServiceProvider services) => services.GetRequiredService<IStartupValidator>().Validate();

    private Dictionary<string, string?> DefaultAndTracks() => new()
    {
        ["UploadKit:Storages:default:Backend"] = "FileSystem",
        ["UploadKit:Storages:default:Options:Location"] = Temp,
        ["UploadKit:Storages:default:Options:BaseUrl"] = "/media/",
        ["UploadKit:Storages:tracks:Backend"] = "inmemory",
    };

    [Test]
    public async Task Indexer_ConfiguredStorages_AreCreatedFromTheirBackends()
    {
        using var services = Build(DefaultAndTracks());
        ValidateOnStart(services);
        var registry = services.GetRequiredService<IStorageRegistry>();
        Assert.That(registry.Default, Is.InstanceOf<FileSystemStorage>());
        Assert.That(registry["tracks"], Is.InstanceOf<InMemoryStorage>());
        Assert.That(registry["TRACKS"], Is.SameAs(registry["tracks"]));
        Assert.That(registry.Names, Is.EquivalentTo(new[] { "default", "tracks" }));

        var content = RandomBytes(100);
        var name = await registry.Default.SaveAsync("a.bin", new MemoryStream(content));
        Assert.That(File.Exists(Path.Combine(Temp, "a.bin")), Is.True);
        Assert.That(await StoredSha256HexAsync(registry.Default, name), Is.EqualTo(Sha256Hex(content)));
        Assert.That(await registry.Default.GetUrlAsync(name), Is.EqualTo("/media/a.bin"));
    }

    [Test]
    public void KeyedService_StorageName_ResolvesTheSameStorage()
    {
        using var services = Build(DefaultAndTracks());
        var registry = services.GetRequiredService<IStorageRegistry>();
        Assert.That(services.GetRequiredKeyedService<IFileStorage>("tracks"), Is.SameAs(registry["tracks"]));
        Assert.That(services.GetRequiredKeyedService<IFileStorage>("default"), Is.SameAs(registry.Default));
    }

    [Test]
    public void AddStorage_SameNameAsConfiguration_CodeWins()
    {
        var code = new InMemoryStorage();
        using var services = Build(DefaultAndTracks(), b => b.AddStorage("tracks", _ => code));
        ValidateOnStart(services);
        Assert.That(services.GetRequiredService<IStorageRegistry>()["tracks"], Is.SameAs(code));
        Assert.That(services.GetRequiredKeyedService<IFileStorage>("tracks"), Is.SameAs(code));
    }

    [Test]
    public void TryGetStorage_UnknownName_ReturnsFalseAndIndexerExplains()
    {
        using var services = Build(DefaultAndTracks());
        var registry = services.GetRequiredService<IStorageRegistry>();
        Assert.That(registry.TryGetStorage("avatars", out var storage), Is.False);
        Assert.That(storage, Is.Null);
        var ex = Assert.Throws<KeyNotFoundException>(() => _ = registry["avatars"]);
        Assert.That(ex!.Message, Does.Contain("avatars").And.Contain("AddStorage"));
    }

    [Test]
    public void ValidateOnStart_UnknownBackend_FailsNamingStorageAndBackend()
    {
        var settings = DefaultAndTracks();
        settings["UploadKit:Storages:tracks:Backend"] = "S4";
        using var services = Build(settings);
        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(services));
        Assert.That(ex!.Message, Does.Contain("'tracks'").And.Contain("'S4'"));
    }

    [Test]
    public void ValidateOnStart_MissingDefault_Fails()
    {
        using var services = Build(new() { ["UploadKit:Storages:tracks:Backend"] = "InMemory" });
        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(services));
        Assert.That(ex!.Message, Does.Contain("'default'"));
    }

    [Test]
    public void ValidateOnStart_MissingRequiredOption_FailsNamingStorageAndOption()
    {
        using var services = Build(new()
        {
            ["UploadKit:Storages:default:Backend"] = "FileSystem",
            ["UploadKit:Storages:default:Options:BaseUrl"] = "/m/"
        });
        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(services));
        Assert.That(ex!.Message, Does.Contain("Storage 'default'").And.Contain("'Location'"));
    }

    [Test]
    public void ValidateOnStart_MisspelledOption_FailsNamingStorageAndKey()
    {
        var settings = DefaultAndTracks();
        settings["UploadKit:Storages:default:Options:Locaton"] = "x";
        using var services = Build(settings);
        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(services));
        Assert.That(ex!.Message, Does.Contain("Storage 'default'").And.Contain("Locaton"));
    }

    [Test]
    public void ValidateOnStart_MissingBackend_Fails()
    {
        var settings = DefaultAndTracks();
        settings.Remove("UploadKit:Storages:tracks:Backend");
        settings["UploadKit:Storages:tracks:Options:BaseUrl"] = "/t/";
        using var services = Build(settings);
        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(services));
        Assert.That(ex!.Message, Does.Contain("'tracks'").And.Contain("Backend"));
    }

    [Test]
    public void ValidateOnStart_BackendFactoryRejectsOptions_FailsNamingStorageAndOption()
    {
        var settings = DefaultAndTracks();
        settings["UploadKit:Storages:tracks:Backend"] = "Fake";
        using var services = Build(settings, b => b.AddStorageBackend("Fake", ctx =>
            throw new OptionsValidationException(ctx.StorageName, typeof(object), ["The option 'BucketName' is required."])));
        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(services));
        Assert.That(ex!.Message, Does.Contain("Storage 'tracks'").And.Contain("'BucketName'"));
    }

    [Test]
    public void AddStorageBackend_SatelliteBackend_IsUsedForConfiguredStorage()
    {
        var satellite = new InMemoryStorage();
        StorageBackendContext? seen = null;
        var settings = DefaultAndTracks();
        settings["UploadKit:Storages:tracks:Backend"] = "S3";
        settings["UploadKit:Storages:tracks:Options:BucketName"] = "tracks";
        using var services = Build(settings, b => b.AddStorageBackend("S3", ctx => { seen = ctx; return satellite; }));
        ValidateOnStart(services);
        Assert.That(services.GetRequiredService<IStorageRegistry>()["tracks"], Is.SameAs(satellite));
        Assert.That(seen!.StorageName, Is.EqualTo("tracks"));
        Assert.That(seen.Options["BucketName"], Is.EqualTo("tracks"));
    }

    [Test]
    public void AddUploadKit_NoConfiguration_HasNoStoragesAndStarts()
    {
        var services = new ServiceCollection();
        services.AddUploadKit();
        using var provider = services.BuildServiceProvider();
        ValidateOnStart(provider);
        var registry = provider.GetRequiredService<IStorageRegistry>();
        Assert.That(registry.Names, Is.Empty);
        Assert.Throws<KeyNotFoundException>(() => _ = registry.Default);
    }

    [Test]
    public void AddUploadKit_CalledTwice_RegistersBackendsOnce()
    {
        var services = new ServiceCollection();
        services.AddUploadKit();
        services.AddUploadKit();
        Assert.That(services.Count(d => d.ServiceType == typeof(StorageRegistry)), Is.EqualTo(1));
        Assert.That(services.Count(d => d.ServiceType == typeof(StorageBackendRegistration)), Is.EqualTo(2));
    }

    [Test]
    public void HostStart_BadStorage_FailsBeforeServing()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Temp });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["UploadKit:Storages:default:Backend"] = "Nope" });
        builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"));
        using var host = builder.Build();
        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(ex!.Message, Does.Contain("'default'").And.Contain("'Nope'"));
    }

    [Test]
    public async Task FileSystemBackend_RelativeLocation_ResolvesAgainstContentRoot()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Temp });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UploadKit:Storages:default:Backend"] = "FileSystem",
            ["UploadKit:Storages:default:Options:Location"] = "media",
        });
        builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"));
        using var host = builder.Build();
        await host.StartAsync();
        var storage = host.Services.GetRequiredService<IStorageRegistry>().Default;
        var content = RandomBytes(10);
        var name = await storage.SaveAsync("x.bin", new MemoryStream(content));
        Assert.That(File.Exists(Path.Combine(Temp, "media", "x.bin")), Is.True);
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
        await host.StopAsync();
    }
}
