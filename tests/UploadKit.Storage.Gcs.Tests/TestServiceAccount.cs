using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace UploadKit.Storage.Gcs.Tests;

/// <summary>
/// A throwaway service account made at test time: a fresh RSA key in Google's key-file shape. The storage,
/// registration and direct-upload tests sign with it, so they need nothing outside the repository; only the
/// tests that check Google's published vectors read <see cref="ConformanceVectors"/>.
/// </summary>
internal static class TestServiceAccount
{
    private static readonly Lazy<string> Generated = new(Create);

    /// <summary>Gets the key file's JSON, the same for the whole test run.</summary>
    public static string Json => Generated.Value;

    private static string Create()
    {
        using var rsa = RSA.Create(2048);
        var json = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "uploadkit-tests",
            ["private_key_id"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)),
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = "uploadkit-tests@uploadkit-tests.iam.gserviceaccount.com",
            ["client_id"] = "000000000000000000001",
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        };
        return json.ToJsonString();
    }
}
