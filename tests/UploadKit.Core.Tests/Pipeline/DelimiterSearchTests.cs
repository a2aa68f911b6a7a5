using System.Buffers;
using System.Text;
using UploadKit.Pipeline;

namespace UploadKit.Tests.Pipeline;

public class DelimiterSearchTests
{
    [Test]
    public void IndexOf_RandomDataWithPlantedDelimitersAndPrefixes_AgreesWithSpanIndexOf([Values("b", "xYz123", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "0123456789012345678901234567890123456789012345678901234567890123456789")] string boundary)
    {
        var delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        var random = new Random(boundary.Length);
        for (var trial = 0; trial < 20_000; trial++)
        {
            var data = new byte[random.Next(0, trial % 10 == 0 ? 1_000 : 200)];
            random.NextBytes(data);
            for (var plant = random.Next(0, 4); plant > 0 && data.Length > 0; plant--)
            {
                // Whole delimiters, prefixes of it and lone CRs, anywhere, some cut off by the end of the data.
                var at = random.Next(data.Length);
                var length = random.Next(3) switch
                {
                    0 => delimiter.Length,
                    1 => random.Next(1, delimiter.Length),
                    _ => 1,
                };
                delimiter.AsSpan(0, Math.Min(length, data.Length - at)).CopyTo(data.AsSpan(at));
            }

            Assert.That(DelimiterSearch.IndexOf(data, delimiter), Is.EqualTo(data.AsSpan().IndexOf(delimiter)), $"trial {trial}, {data.Length} bytes");
        }
    }

    [Test]
    public void IndexOf_DelimiterAtEveryOffset_FindsTheFirst()
    {
        var delimiter = "\r\n--boundary-with-some-length-to-it"u8.ToArray();
        for (var length = delimiter.Length; length < 200; length++)
        {
            for (var at = 0; at + delimiter.Length <= length; at++)
            {
                var data = new byte[length];
                Array.Fill(data, (byte)'-');
                delimiter.CopyTo(data, at);
                if (at + (2 * delimiter.Length) <= length)
                {
                    delimiter.CopyTo(data, length - delimiter.Length);
                }

                Assert.That(DelimiterSearch.IndexOf(data, delimiter), Is.EqualTo(at), $"{length} bytes, delimiter at {at}");
            }
        }
    }

    [Test]
    public void Find_DelimiterAcrossSegments_ReportsOffsetAndHoldsBackAPartialMatch()
    {
        var delimiter = "\r\n--abc"u8.ToArray();
        var whole = "data\r\n--abcmore"u8.ToArray();
        for (var split = 1; split < whole.Length; split++)
        {
            var buffer = Sequence(whole[..split], whole[split..]);
            Assert.That(DelimiterSearch.Find(buffer, delimiter, out var safe), Is.EqualTo(4), $"split at {split}");
            Assert.That(safe, Is.EqualTo(4));
        }

        var partial = Sequence("data\r\n"u8.ToArray(), "--a"u8.ToArray());
        Assert.That(DelimiterSearch.Find(partial, delimiter, out var held), Is.EqualTo(-1));
        Assert.That(held, Is.EqualTo(4), "the possible start of a delimiter is held back");
    }

    private static ReadOnlySequence<byte> Sequence(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        var tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
