using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace UploadKit.Testing;

/// <summary>
/// The signature database the tests give clamd, written by the tests themselves (no signature download): the EICAR test
/// string by MD5 (<c>.hdb</c>, which matches whole files only) and by its bytes anywhere in a file (<c>.ndb</c>, for EICAR
/// inside a larger file), and a generated test file by SHA-256 (<c>.hsb</c>).
/// </summary>
public static class TestSignatures
{
    /// <summary>The 68-byte EICAR anti-malware test string.</summary>
    public static readonly byte[] Eicar = Encoding.ASCII.GetBytes(@"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!H+H*");

    /// <summary>The whole-file (MD5) signature name of EICAR; clamd reports unsigned databases' names with <c>.UNOFFICIAL</c>.</summary>
    public const string EicarFileName = "UploadKit.Test.Eicar";

    /// <summary>The body (hex pattern) signature name of EICAR.</summary>
    public const string EicarBodyName = "UploadKit.Test.EicarBody";

    /// <summary>The whole-file (SHA-256) signature name of <see cref="GeneratedFile"/>.</summary>
    public const string GeneratedName = "UploadKit.Test.Generated";

    /// <summary>A generated test file that the database marks as malware by its SHA-256.</summary>
    public static readonly byte[] GeneratedFile = CreateGenerated();

    /// <summary>Writes the database files into <paramref name="directory"/>.</summary>
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(
            Path.Combine(directory, "uploadkit-test.hdb"),
            string.Create(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(MD5.HashData(Eicar))}:{Eicar.Length}:{EicarFileName}\n"));
        File.WriteAllText(
            Path.Combine(directory, "uploadkit-test.hsb"),
            string.Create(
                CultureInfo.InvariantCulture,
                $"{Convert.ToHexStringLower(SHA256.HashData(GeneratedFile))}:{GeneratedFile.Length}:{GeneratedName}\n"));
        File.WriteAllText(Path.Combine(directory, "uploadkit-test.ndb"), $"{EicarBodyName}:0:*:{Convert.ToHexStringLower(Eicar)}\n");
    }

    private static byte[] CreateGenerated()
    {
        var bytes = new byte[4096];
        new Random(18).NextBytes(bytes);
        return bytes;
    }
}
