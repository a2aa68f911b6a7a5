using System.Buffers;
using System.Text;
using UploadKit.Pipeline;

namespace UploadKit.Tests.Pipeline;

public class DelimiterSearchTests
{
    [Test]
    public void IndexOf_RandomDataWithPlantedDelimitersAndPrefixes_AgreesWithSpanIndexOf([Values(
        "b",
        "xYz123",
        "----WebKitFormBoundary7MA4YWxkTrZu0gW",
        "0123456789012345678901234567890123456789012345678901234567890123456789")] string boundary)
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

            Assert.That(
                DelimiterSearch.IndexOf(data, delimiter), Is.EqualTo(data.AsSpan().IndexOf(delimiter)), $"trial {trial}, {data.Length} bytes");
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
    public void IndexOf_EveryBlockACandidateButNoMatch_ChecksEachAndFindsTheLateOne()
    {
        // First and last byte of the delimiter everywhere: every vector block needs a closer look.
        var delimiter = "\r\n--ab"u8.ToArray();
        var data = Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? (byte)'\r' : (byte)'b').ToArray();
        Assert.That(DelimiterSearch.IndexOf(data, delimiter), Is.EqualTo(-1));

        delimiter.CopyTo(data, 94);
        Assert.That(DelimiterSearch.IndexOf(data, delimiter), Is.EqualTo(94));
    }

    [Test]
    public void IndexOf_ShortDelimitersAndEqualEnds_AgreesWithSpanIndexOf([Values("aa", "ab", "aba", "abza")] string text)
    {
        var delimiter = Encoding.ASCII.GetBytes(text);
        var random = new Random(text.Length);
        for (var length = 0; length <= 100; length++)
        {
            for (var trial = 0; trial < 50; trial++)
            {
                var data = Enumerable.Range(0, length).Select(_ => (byte)"abz"[random.Next(3)]).ToArray();
                Assert.That(DelimiterSearch.IndexOf(data, delimiter), Is.EqualTo(data.AsSpan().IndexOf(delimiter)), $"{length} bytes");
            }
        }
    }

    [Test]
    public void Find_LongBuffers_UsesTheVectorPathInOneSegmentAndAcrossTwo()
    {
        var delimiter = "\r\n--abc"u8.ToArray();
        var padding = new byte[64];
        Array.Fill(padding, (byte)'x');

        var split = ParserHarness.Sequence([.. padding, .. padding, .. padding.AsSpan(0, 12), .. delimiter, .. "yy"u8], 100);
        Assert.That(DelimiterSearch.Find(split, delimiter, out var splitSafe), Is.EqualTo(140));
        Assert.That(splitSafe, Is.EqualTo(140));

        var whole = new ReadOnlySequence<byte>([.. padding, .. delimiter]);
        Assert.That(DelimiterSearch.Find(whole, delimiter, out var wholeSafe), Is.EqualTo(64));
        Assert.That(wholeSafe, Is.EqualTo(64));

        var partial = new ReadOnlySequence<byte>([.. padding, .. "\r\n--a"u8]);
        Assert.That(DelimiterSearch.Find(partial, delimiter, out var partialSafe), Is.EqualTo(-1));
        Assert.That(partialSafe, Is.EqualTo(64), "the possible start of a delimiter at the end is held back");
    }

    [Test]
    public void Find_DelimiterAcrossSegments_ReportsOffsetAndHoldsBackAPartialMatch()
    {
        var delimiter = "\r\n--abc"u8.ToArray();
        var whole = "data\r\n--abcmore"u8.ToArray();
        for (var split = 1; split < whole.Length; split++)
        {
            var buffer = ParserHarness.Sequence(whole, split);
            Assert.That(DelimiterSearch.Find(buffer, delimiter, out var safe), Is.EqualTo(4), $"split at {split}");
            Assert.That(safe, Is.EqualTo(4));
        }

        var partial = ParserHarness.Sequence("data\r\n--a"u8.ToArray(), 6);
        Assert.That(DelimiterSearch.Find(partial, delimiter, out var held), Is.EqualTo(-1));
        Assert.That(held, Is.EqualTo(4), "the possible start of a delimiter is held back");
    }
}
