namespace UploadKit;

/// <summary>What an id chosen by a client must look like to name a record other clients cannot guess.</summary>
internal static class UnguessableIds
{
    /// <summary>Creates an id of 192 random bits, as 32 base64url characters.</summary>
    public static string Create() =>
        Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    /// <summary>
    /// True if <paramref name="id"/> looks unguessable: 22 to 128 characters of hexadecimal digits, letters, digits,
    /// '-' or '_', carrying at least 128 bits (32 hexadecimal digits, a GUID, or 22+ base64url characters) with at
    /// least 8 distinct characters.
    /// </summary>
    public static bool IsUnguessable(string? id)
    {
        if (id is null || id.Length is < 22 or > 128)
        {
            return false;
        }

        var hex = 0;
        var other = 0;
        foreach (var c in id)
        {
            if (char.IsAsciiHexDigit(c))
            {
                hex++;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                other++;
            }
            else if (c != '-')
            {
                return false;
            }
        }

        // Hexadecimal only (a GUID, 32 hex digits; its dashes carry nothing) carries 4 bits a character; base64url
        // (dashes included) carries 6. A random id of that length has many distinct characters; "0000..." or
        // "abab..." is refused.
        var enough = other == 0 ? hex >= 32 : id.Length >= 22;
        return enough && id.Distinct().Count() >= 8;
    }
}
