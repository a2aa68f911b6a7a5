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
            {{Access}}, "ServiceUri": "http://127.0.0.1:10000/myaccount", "EndpointSuffix": "core.chinacloudapi.cn",
            "ContainerName": "media", "KeyPrefix": "uploads/", "CustomDomain": "cdn.example.com", "PublicUrls": true,
            "UrlExpiry": "00:10:00", "Overwrite": true, "CacheControl": "max-age=60", "ContentDisposition": "inline",
            "BlockSize": 1048576, "MaxConcurrency": 8, "CreateContainer": true
            """);

        var options = AzureBlobStorageFactory.Bind("azure", section);

        Assert.Multiple(() =>
        {
            Assert.That(options.AccountName, Is.EqualTo("myaccount"));
            Assert.That(options.AccountKey, Is.EqualTo(Key));
            Assert.That(options.ServiceUri, Is.EqualTo(new Uri("http://127.0.0.1:10000/myaccount")));
            Assert.That(options.EndpointSuffix, Is.EqualTo("core.chinacloudapi.cn"));
            Assert.That(options.ContainerName, Is.EqualTo("media"));
            Assert.That(options.KeyPrefix, Is.EqualTo("uploads/"));
            Assert.That(options.CustomDomain, Is.EqualTo("cdn.example.com"));
            Assert.That(options.PublicUrls, Is.True);
            Assert.That(options.UrlExpiry, Is.EqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(options.Overwrite, Is.True);
            Assert.That(options.CacheControl, Is.EqualTo("max-age=60"));
            Assert.That(options.ContentDisposition, Is.EqualTo("inline"));
            Assert.That(options.BlockSize, Is.EqualTo(1048576));
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
            Assert.That(options.BlockSize, Is.EqualTo(AzureBlobStorageOptions.DefaultBlockSize));
            Assert.That(options.MaxConcurrency, Is.EqualTo(AzureBlobStorageOptions.DefaultMaxConcurrency));
            Assert.That(options.UrlExpiry, Is.EqualTo(AzureBlobStorageOptions.DefaultUrlExpiry));
            Assert.That(options.EndpointSuffix, Is.EqualTo(AzureBlobStorageOptions.DefaultEndpointSuffix));
            Assert.That(options.Overwrite, Is.False);
            Assert.That(options.CreateContainer, Is.False);
            Assert.That(options.PublicUrls, Is.False);
        });
    }

    [TestCase("\"ContainerNme\": \"media\"", "ContainerNme")]
    [TestCase("\"Credential\": \"secret\"", "Credential")]
    [TestCase("\"ClientFactory\": \"x\"", "ClientFactory")]
    [TestCase("\"BlockSize\": \"big\"", "BlockSize")]
    [TestCase("\"UrlExpiry\": \"soon\"", "UrlExpiry")]
    public void Bind_UnknownKeyOrBadValue_ThrowsNamingTheStorageAndTheOption(string options, string option)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => AzureBlobStorageFactory.Bind("tracks", Section(options)));

        Assert.That(ex!.OptionsName, Is.EqualTo("tracks"));
        Assert.That(ex.OptionsType, Is.EqualTo(typeof(AzureBlobStorageOptions)));
        Assert.That(ex.Message, Does.Contain("Storage 'tracks' (AzureBlob)").And.Contain(option));
    }

    [TestCase("\"ContainerName\": \"media\"", "exactly one way")]
    [TestCase($"{Access}, \"ConnectionString\": \"UseDevelopmentStorage=true\", \"ContainerName\": \"media\"", "exactly one way")]
    [TestCase($"\"AccountKey\": \"{Key}\", \"ContainerName\": \"media\"", "AccountName is required")]
    [TestCase("\"AccountName\": \"a\", \"AccountKey\": \"not base64!\", \"ContainerName\": \"media\"", "AccountKey must be")]
    [TestCase($"{Access}, \"ServiceUri\": \"ftp://host/x\", \"ContainerName\": \"media\"", "ServiceUri must be")]
    [TestCase($"{Access}, \"ServiceUri\": \"/relative\", \"ContainerName\": \"media\"", "ServiceUri must be")]
    [TestCase(Access, "ContainerName is required")]
    [TestCase($"{Access}, \"ContainerName\": \"Media\"", "not a valid container name")]
    [TestCase($"{Access}, \"ContainerName\": \"ab\"", "not a valid container name")]
    [TestCase($"{Access}, \"ContainerName\": \"a--b\"", "not a valid container name")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"KeyPrefix\": \"../up\"", "KeyPrefix")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"KeyPrefix\": \"/abs\"", "KeyPrefix")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"CustomDomain\": \"https://cdn.example.com/x\"", "CustomDomain")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"UrlExpiry\": \"00:00:00\"", "UrlExpiry")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"UrlExpiry\": \"8.00:00:00\"", "UrlExpiry")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"BlockSize\": 0", "BlockSize")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"BlockSize\": 2000000000", "BlockSize")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"MaxConcurrency\": 0", "MaxConcurrency")]
    [TestCase($"{Access}, \"ContainerName\": \"media\", \"MaxConcurrency\": 65", "MaxConcurrency")]
    [TestCase("\"ConnectionString\": \"nonsense\", \"ContainerName\": \"media\"", "ConnectionString is not a valid")]
    public void Create_InvalidOptions_ThrowsNamingTheStorageAndTheOption(string options, string message)
    {
        var bound = AzureBlobStorageFactory.Bind("tracks", Section(options));

        var ex = Assert.Throws<OptionsValidationException>(() => AzureBlobStorageFactory.Create("tracks", bound, EmptyServices()));

        Assert.That(ex!.OptionsName, Is.EqualTo("tracks"));
        Assert.That(ex.Message, Does.Contain("Storage 'tracks' (AzureBlob)").And.Contain(message));
    }

    [Test]
    public void Create_CredentialWithoutServiceUri_Throws()
    {
        var options = new AzureBlobStorageOptions { ContainerName = "media", Credential = Mock.Of<TokenCredential>() };

        var ex = Assert.Throws<OptionsValidationException>(() => AzureBlobStorageFactory.Create("tracks", options, EmptyServices()));

        Assert.That(ex!.Message, Does.Contain("ServiceUri is required with a Credential"));
    }

    [Test]
    public void Create_AccountNameAndKey_UsesTheAccountEndpointAndPrefix()
    {
        var options = AzureBlobStorageFactory.Bind("azure", Section($"{Access}, \"ContainerName\": \"media\", \"KeyPrefix\": \"up\""));

        var storage = AzureBlobStorageFactory.Create("azure", options, EmptyServices());

        Assert.That(storage.Container.Uri, Is.EqualTo(new Uri("https://myaccount.blob.core.windows.net/media")));
        Assert.That(storage.GetBlob("a/b.txt").Name, Is.EqualTo("up/a/b.txt"));
        Assert.That(storage.Container.CanGenerateSasUri, Is.True);
    }

    [Test]
    public void Create_ConnectionString_UsesItsEndpoint()
    {
        var options = AzureBlobStorageFactory.Bind("azure", Section(
            $"\"ConnectionString\": \"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\", \"ContainerName\": \"media\""));

        var storage = AzureBlobStorageFactory.Create("azure", options, EmptyServices());

        Assert.That(storage.Container.Uri, Is.EqualTo(new Uri("http://127.0.0.1:10000/devstoreaccount1/media")));
    }

    [Test]
    public void Create_ServiceUriAndCredential_SignsInWithTheCredential()
    {
        var options = new AzureBlobStorageOptions
        {
            ServiceUri = new Uri("https://myaccount.blob.core.windows.net"),
            Credential = Mock.Of<TokenCredential>(),
            ContainerName = "media",
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
        var options = new AzureBlobStorageOptions { ClientFactory = sp => sp.GetRequiredService<BlobServiceClient>(), ContainerName = "media" };

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
            .Single(i => i?.GetType().Name == "StorageBackendRegistration" && (string?)i.GetType().GetProperty("BackendName")!.GetValue(i) == "AzureBlob")!;
        Assert.That(registration.GetType().GetProperty("BackendName")!.GetValue(registration), Is.EqualTo("AzureBlob"));
        var factory = (Func<StorageBackendContext, IFileStorage>)registration.GetType().GetProperty("Factory")!.GetValue(registration)!;
        var storage = factory(new StorageBackendContext("azure", Section($"{Access}, \"ContainerName\": \"media\""), EmptyServices()));
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
            o.ContainerName = "tracks";
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
            .AddAzureBlobStorage("good", Section($"{Access}, \"ContainerName\": \"media\""))
            .AddAzureBlobStorage("bad", Section($"{Access}, \"ContainerName\": \"media\", \"BlockSize\": -1"));

        Assert.That(CreateRegisteredStorage(services, "good"), Is.InstanceOf<AzureBlobStorage>());
        var ex = Assert.Throws<OptionsValidationException>(() => CreateRegisteredStorage(services, "bad"));
        Assert.That(ex!.Message, Does.Contain("Storage 'bad'").And.Contain("BlockSize"));
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
