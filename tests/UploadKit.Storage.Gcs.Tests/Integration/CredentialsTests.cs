using System.Net;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>The three ways to give credentials: key text, key file, application default credentials.</summary>
public sealed class CredentialsTests : GcsIntegrationTest
{
    [Test]
    public async Task CredentialsFile_SavesAndSigns()
    {
        var path = Path.Combine(Path.GetTempPath(), "uploadkit-gcs-key-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, GcsServerFixture.ServiceAccountJson);
        try
        {
            using var storage = Storage(o =>
            {
                o.CredentialsJson = null;
                o.CredentialsFile = path;
            });
            await SaveAndReadThroughSignedUrl(storage);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task ApplicationDefaultCredentials_ServiceAccountKey_SavesAndSigns()
    {
        var path = Path.Combine(Path.GetTempPath(), "uploadkit-gcs-adc-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, GcsServerFixture.ServiceAccountJson);
        var previous = Environment.GetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS");
        Environment.SetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS", path);
        try
        {
            using var storage = Storage(o => o.CredentialsJson = null);
            await SaveAndReadThroughSignedUrl(storage);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS", previous);
            File.Delete(path);
        }
    }

    private async Task SaveAndReadThroughSignedUrl(GcsStorage storage)
    {
        var data = RandomBytes(1500);
        var name = await storage.SaveAsync("k/file.bin", new MemoryStream(data));
        Assert.That(StoredSha256(name), Is.EqualTo(Sha256Hex(data)));

        using var http = new HttpClient();
        using var response = await http.GetAsync(await storage.GetUrlAsync(name));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(data)));
    }
}
