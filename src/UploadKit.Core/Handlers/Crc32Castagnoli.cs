using System.Buffers.Binary;

namespace UploadKit;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, Google Cloud Storage and S3's
/// <c>x-amz-checksum-crc32c</c>. Computed incrementally with slicing-by-8 tables.
/// </summary>
internal sealed class Crc32Castagnoli
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    private uint _crc = 0xFFFFFFFFu;

    /// <summary>Adds bytes to the checksum.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        var crc = _crc;
        var table = Table;
        while (data.Length >= 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = table[(7 * 256) + (low & 0xFF)] ^
                  table[(6 * 256) + ((low >> 8) & 0xFF)] ^
                  table[(5 * 256) + ((low >> 16) & 0xFF)] ^
                  table[(4 * 256) + (low >> 24)] ^
                  table[(3 * 256) + (high & 0xFF)] ^
                  table[(2 * 256) + ((high >> 8) & 0xFF)] ^
                  table[256 + ((high >> 16) & 0xFF)] ^
                  table[high >> 24];
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        _crc = crc;
    }

    /// <summary>Gets the checksum of the bytes added so far.</summary>
    public uint GetCurrentValue() => ~_crc;

    /// <summary>Gets the checksum as four big-endian bytes (the form GCS and S3 encode in base64).</summary>
    public byte[] GetCurrentHash()
    {
        var hash = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(hash, GetCurrentValue());
        return hash;
    }

    /// <summary>Computes the checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32Castagnoli();
        crc.Append(data);
        return crc.GetCurrentValue();
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var crc = i;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            }

            table[i] = crc;
        }

        for (var i = 0; i < 256; i++)
        {
            for (var slice = 1; slice < 8; slice++)
            {
                var previous = table[((slice - 1) * 256) + i];
                table[(slice * 256) + i] = (previous >> 8) ^ table[previous & 0xFF];
            }
        }

        return table;
    }
}
