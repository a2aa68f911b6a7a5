using System.Text;
using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UploadKit.Storage.Azure.Internal;

namespace UploadKit.Storage.Azure.Tests;

public sealed class AzureBlobStorageFactoryTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string Access = $"\"AccountName\": \"myaccount\", \"AccountKey\": \"{Key}\"";

    [Test]
    public void Bind_AppsettingsWithEveryOption_BindsThemAll()
    {
        var section = Section($$"""
            {{Access}}, "Endpoint": "http://127.0.0.1:10000/myaccount", "EndpointSuffix": "core.chinacloudapi.cn",
            "Container": "media", "KeyPrefix": "uploads/", "CustomDomain": "cdn.example.com", "SignedUrls": false,
            "UrlExpiry": "00:10:00", "Overwrite": true, "CacheControl": "max-age=60", "ContentDisposition": "inline",
            "ChunkSize": 1048576, "MaxConcurrency": 8, "CreateContainer": true
            """);

        var options = AzureBlobStorageFactory.Bind("azure", section);

        Assert.Multiple(() =>
        {
            Assert.That(options.AccountName, Is.EqualTo("myaccount"));
            Assert.That(options.AccountKey, Is.EqualTo(Key));
            Assert.That(options.Endpoint, Is.EqualTo(new Uri("http://127.0.0.1:10000/myaccount")));
            Assert.That(options.EndpointSuffix, Is.EqualTo("core.chinacloudapi.cn"));
            Assert.That(options.Container, Is.EqualTo("media"));
            Assert.That(options.KeyPrefix, Is.EqualTo("uploads/"));
            Assert.That(options.CustomDomain, Is.EqualTo("cdn.example.com"));
            Assert.That(options.SignedUrls, Is.False);
            Assert.That(options.UrlExpiry, Is.EqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(options.Overwrite, Is.True);
            Assert.That(options.CacheControl, Is.EqualTo("max-age=60"));
            Assert.That(options.ContentDisposition, Is.EqualTo("inline"));
            Assert.That(options.ChunkSize, Is.EqualTo(1048576));
            Assert.That(options.MaxConcurrency, Is.EqualTo(8));
            Assert.That(options.CreateContainer, Is.True);
        });
    }

    [Test]
    public void Bind_Empty_KeepsDefaults()
    {
        var options = AzureBlobStorageFactory.Bind("azure", Section(""));

        Assert.Multiple(() =>
        {
            Assert.That(options.ChunkSize, Is.EqualTo(AzureBlobStorageOptions.DefaultChunkSize));
            Assert.That(options.MaxConcurrency, Is.EqualTo(AzureBlobStorageOptions.DefaultMaxConcurrency));
            Assert.That(options.UrlExpiry, Is.EqualTo(AzureBlobStorageOptions.DefaultUrlExpiry));
            Assert.That(options.EndpointSuffix, Is.EqualTo(AzureBlobStorageOptions.DefaultEndpointSuffix));
            Assert.That(options.Overwrite, Is.False);
            Assert.That(options.CreateContainer, Is.False);
            Assert.That(options.SignedUrls, Is.True);
        });
    }

    [TestCase("\"ContainerNme\": \"media\"", "ContainerNme")]
    [TestCase("\"Credential\": \"secret\"", "Credential")]
    [TestCase("\"ClientFactory\": \"x\"", "ClientFactory")]
    [TestCase("\"ChunkSize\": \"big\"", "ChunkSize")]
    [TestCase("\"UrlExpiry\": \"soon\"", "UrlExpiry")]
    public void Bind_UnknownKeyOrBadValue_ThrowsNamingTheStorageAndTheOption(string options, string option)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => AzureBlobStorageFactory.Bind("tracks", Section(options)));

        Assert.That(ex!.OptionsName, Is.EqualTo("tracks"));
        Assert.That(ex.OptionsType, Is.EqualTo(typeof(AzureBlobStorageOptions)));
        Assert.That(ex.Message, Does.Contain("Storage 'tracks' (AzureBlob)").And.Contain(option));
    }

    [TestCase("\"Container\": \"media\"", "exactly one way")]
    [TestCase($"{Access}, \"ConnectionString\": \"UseDevelopmentStorage=true\", \"Container\": \"media\"", "exactly one way")]
    [TestCase($"\"AccountKey\": \"{Key}\", \"Container\": \"media\"", "AccountName is required")]
    [TestCase("\"AccountName\": \"a\", \"AccountKey\": \"not base64!\", \"Container\": \"media\"", "AccountKey must be")]
    [TestCase($"{Access}, \"Endpoint\": \"ftp://host/x\", \"Container\": \"media\"", "Endpoint must be")]
    [TestCase($"{Access}, \"Endpoint\": \"/relative\", \"Container\": \"media\"", "Endpoint must be")]
    [TestCase(Access, "Container is required")]
    [TestCase($"{Access}, \"Container\": \"Media\"", "not a valid container name")]
    [TestCase($"{Access}, \"Container\": \"ab\"", "not a valid container name")]
    [TestCase($"{Access}, \"Container\": \"a--b\"", "not a valid container name")]
    [TestCase($"{Access}, \"Container\": \"media\", \"KeyPrefix\": \"../up\"", "KeyPrefix")]
    [TestCase($"{Access}, \"Container\": \"media\", \"KeyPrefix\": \"/abs\"", "KeyPrefix")]
    [TestCase($"{Access}, \"Container\": \"media\", \"CustomDomain\": \"https://cdn.example.com/x\"", "CustomDomain")]
    [TestCase($"{Access}, \"Container\": \"media\", \"UrlExpiry\": \"00:00:00\"", "UrlExpiry")]
    [TestCase($"{Access}, \"Container\": \"media\", \"UrlExpiry\": \"8.00:00:00\"", "UrlExpiry")]
    [TestCase($"{Access}, \"Container\": \"media\", \"ChunkSize\": 0", "ChunkSize")]
    [TestCase($"{Access}, \"Container\": \"media\", \"ChunkSize\": 2000000000", "ChunkSize")]
    [TestCase($"{Access}, \"Container\": \"media\", \"MaxConcurrency\": 0", "MaxConcurrency")]
    [TestCase($"{Access}, \"Container\": \"media\", \"MaxConcurrency\": 65", "MaxConcurrency")]
    [TestCase("\"ConnectionString\": \"nonsense\", \"Container\": \"media\"", "ConnectionString is not a valid")]
    public void Create_InvalidOptions_ThrowsNamingTheStorageAndTheOption(string options, string message)
    {
        var bound = AzureBlobStorageFactory.Bind("tracks", Section(options));

        var ex = Assert.Throws<OptionsValidationException>(() => AzureBlobStorageFactory.Create("tracks", bound, EmptyServices()));

        Assert.That(ex!.OptionsName, Is.EqualTo("tracks"));
        Assert.That(ex.Message, Does.Contain("Storage 'tracks' (AzureBlob)").And.Contain(message));
    }

    [Test]
    public void Create_CredentialWithoutEndpoint_Throws()
    {
        var options = new AzureBlobStorageOptions { Container = "media", Credential = Mock.Of<TokenCredential>() };

        var ex = Assert.Throws<OptionsValidationException>(() => AzureBlobStorageFactory.Create("tracks", options, EmptyServices()));

        Assert.That(ex!.Message, Does.Contain("Endpoint is required with a Credential"));
    }

    [Test]
    public void Create_AccountNameAndKey_UsesTheAccountEndpointAndPrefix()
    {
        var options = AzureBlobStorageFactory.Bind("azure", Section($"{Access}, \"Container\": \"media\", \"KeyPrefix\": \"up\""));

        var storage = AzureBlobStorageFactory.Create("azure", options, EmptyServices());

        Assert.That(storage.Container.Uri, Is.EqualTo(new Uri("https://myaccount.blob.core.windows.net/media")));
        Assert.That(storage.GetBlob("a/b.txt").Name, Is.EqualTo("up/a/b.txt"));
        Assert.That(storage.Container.CanGenerateSasUri, Is.True);
    }

    [Test]
    public void Create_ConnectionString_UsesItsEndpoint()
    {
        var options = AzureBlobStorageFactory.Bind("azure", Section(
            $"\"ConnectionString\": \"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
            "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\", \"Container\": \"media\""));

        var storage = AzureBlobStorageFactory.Create("azure", options, EmptyServices());

        Assert.That(storage.Container.Uri, Is.EqualTo(new Uri("http://127.0.0.1:10000/devstoreaccount1/media")));
    }

    [Test]
    public void Create_EndpointAndCredential_SignsInWithTheCredential()
    {
        var options = new AzureBlobStorageOptions
        {
            Endpoint = new Uri("https://myaccount.blob.core.windows.net"),
            Credential = Mock.Of<TokenCredential>(),
            Container = "media",
        };

        var storage = AzureBlobStorageFactory.Create("azure", options, EmptyServices());

        Assert.That(storage.Container.Uri, Is.EqualTo(new Uri("https://myaccount.blob.core.windows.net/media")));
        Assert.That(storage.Container.CanGenerateSasUri, Is.False);
    }

    [Test]
    public void Create_ClientFactory_BuildsTheClientFromTheAppServices()
    {
        var client = new BlobServiceClient(new Uri("https://fromfactory.blob.core.windows.net"));
        var services = new ServiceCollection().AddSingleton(client).BuildServiceProvider();
        var options = new AzureBlobStorageOptions { ClientFactory = sp => sp.GetRequiredService<BlobServiceClient>(), Container = "media" };

        var storage = AzureBlobStorageFactory.Create("azure", options, services);

        Assert.That(storage.Container.Uri, Is.EqualTo(new Uri("https://fromfactory.blob.core.windows.net/media")));
    }

    [Test]
    public void AddAzureBlobStorage_Backend_RegistersAzureBlobWhoseFactoryBindsTheOptionsSection()
    {
        var services = new ServiceCollection();

        services.AddUploadKit().AddAzureBlobStorage();

        // Core registers its built-in FileSystem and InMemory backends too; pick the one this package added.
        var registration = services.Select(d => d.ImplementationInstance)
            .Single(i => i?.GetType().Name == "StorageBackendRegistration" &&
                (string?)i.GetType().GetProperty("BackendName")!.GetValue(i) == "AzureBlob")!;
        Assert.That(registration.GetType().GetProperty("BackendName")!.GetValue(registration), Is.EqualTo("AzureBlob"));
        var factory = (Func<StorageBackendContext, IFileStorage>)registration.GetType().GetProperty("Factory")!.GetValue(registration)!;
        var storage = factory(new StorageBackendContext("azure", Section($"{Access}, \"Container\": \"media\""), EmptyServices()));
        Assert.That(storage, Is.InstanceOf<AzureBlobStorage>());
        Assert.Throws<OptionsValidationException>(() => factory(new StorageBackendContext("azure", Section("\"Bucket\": \"x\""), EmptyServices())));
    }

    [Test]
    public void AddAzureBlobStorage_NameAndConfigure_RegistersANamedStorage()
    {
        var services = new ServiceCollection();

        services.AddUploadKit().AddAzureBlobStorage("tracks", o =>
        {
            o.AccountName = "myaccount";
            o.AccountKey = Key;
            o.Container = "tracks";
        });

        var storage = CreateRegisteredStorage(services, "tracks");
        Assert.That(storage, Is.InstanceOf<AzureBlobStorage>());
        Assert.That(((AzureBlobStorage)storage).Container.Name, Is.EqualTo("tracks"));
        Assert.That(services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, "tracks") && d.ServiceType == typeof(IFileStorage)), Is.True);
    }

    [Test]
    public void AddAzureBlobStorage_NameAndSection_BindsAndValidatesWhenCreated()
    {
        var services = new ServiceCollection();
        services.AddUploadKit()
            .AddAzureBlobStorage("good", Section($"{Access}, \"Container\": \"media\""))
            .AddAzureBlobStorage("bad", Section($"{Access}, \"Container\": \"media\", \"ChunkSize\": -1"));

        Assert.That(CreateRegisteredStorage(services, "good"), Is.InstanceOf<AzureBlobStorage>());
        var ex = Assert.Throws<OptionsValidationException>(() => CreateRegisteredStorage(services, "bad"));
        Assert.That(ex!.Message, Does.Contain("Storage 'bad'").And.Contain("ChunkSize"));
    }

    private static IFileStorage CreateRegisteredStorage(IServiceCollection services, string name)
    {
        var registration = services
            .Select(d => d.IsKeyedService ? null : d.ImplementationInstance)
            .Single(i => i?.GetType().Name == "StorageRegistration" && Equals(i.GetType().GetProperty("StorageName")!.GetValue(i), name))!;
        var factory = (Func<IServiceProvider, IFileStorage>)registration.GetType().GetProperty("Factory")!.GetValue(registration)!;
        return factory(EmptyServices());
    }

    private static IServiceProvider EmptyServices() => new ServiceCollection().BuildServiceProvider();

    private static IConfigurationSection Section(string options)
    {
        var json = $$"""
            { "UploadKit": { "Storages": { "azure": { "Backend": "AzureBlob", "Options": { {{options}} } } } } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return configuration.GetSection("UploadKit:Storages:azure:Options");
    }
}
