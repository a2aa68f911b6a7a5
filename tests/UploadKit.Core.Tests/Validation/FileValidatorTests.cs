using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Validation;

public class FileValidatorTests
{
    private static IEnumerable<TestCaseData> Kinds()
    {
        yield return new TestCaseData(SampleFiles.Png(), "PNG");
        yield return new TestCaseData(SampleFiles.Jpeg(), "JPEG");
        yield return new TestCaseData(SampleFiles.Gif(), "GIF");
        yield return new TestCaseData(SampleFiles.WebPLossy(), "WebP");
        yield return new TestCaseData(SampleFiles.Pdf(), "PDF");
        yield return new TestCaseData(SampleFiles.Zip(), "ZIP");
        yield return new TestCaseData(SampleFiles.Mp3WithId3(), "MP3").SetName("Detect_Mp3WithId3_IsMp3");
        yield return new TestCaseData(SampleFiles.Mp3FrameOnly(), "MP3").SetName("Detect_Mp3WithoutId3_IsMp3");
        yield return new TestCaseData(SampleFiles.Mp4("isom"), "MP4");
        yield return new TestCaseData(SampleFiles.Mp4("M4A "), "MP4").SetName("Detect_M4a_IsMp4");
        yield return new TestCaseData(SampleFiles.Wav(), "WAV");
        yield return new TestCaseData(SampleFiles.Ogg(), "OGG");
        yield return new TestCaseData(SampleFiles.Flac(), "FLAC");
    }

    [TestCaseSource(nameof(Kinds))]
    public void Detect_KnownSignature_ReturnsKind(byte[] head, string kind) =>
        Assert.That(FileSignatures.Detect(head)?.Name, Is.EqualTo(kind));

    [Test]
    public void Detect_HtmlOrAdtsOrText_ReturnsNull()
    {
        Assert.That(FileSignatures.Detect(SampleFiles.Html()), Is.Null);
        Assert.That(FileSignatures.Detect([0xFF, 0xF1, 0x50, 0x80]), Is.Null, "ADTS AAC is not MP3");
        Assert.That(FileSignatures.Detect("hello world"u8), Is.Null);
        Assert.That(FileSignatures.Detect([]), Is.Null);
    }

    [TestCase("song.mp3", "audio/mpeg", "MP3")]
    [TestCase("photo.JPG", "image/jpeg", "JPEG")]
    [TestCase("clip.m4a", "audio/mp4", "M4A")]
    [TestCase("doc.pdf", "application/pdf", "PDF")]
    [TestCase("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "ZIP")]
    [TestCase("upload.bin", "application/octet-stream", "PNG")]
    public void Signature_DeclaredTypeAndExtensionAgree_Passes(string fileName, string contentType, string sample)
    {
        var head = sample switch
        {
            "MP3" => SampleFiles.Mp3FrameOnly(),
            "JPEG" => SampleFiles.Jpeg(),
            "M4A" => SampleFiles.Mp4("M4A "),
            "PDF" => SampleFiles.Pdf(),
            "ZIP" => SampleFiles.Zip(),
            _ => SampleFiles.Png(),
        };
        Assert.That(FileValidators.Signature().ValidateHead(Header(fileName, contentType), head), Is.Null);
    }

    [TestCase("evil.png", "image/png")]
    [TestCase("evil.png", "text/html")]
    [TestCase("evil.mp3", "audio/mpeg")]
    [TestCase("evil.txt", "image/png")]
    public void Signature_HtmlSpoofedAsKnownType_Fails(string fileName, string contentType) =>
        Assert.That(FileValidators.Signature().ValidateHead(Header(fileName, contentType), SampleFiles.Html()), Is.Not.Null);

    [TestCase("image.html", "image/png")]
    [TestCase("image.png", "text/html")]
    [TestCase("image.svg", "image/svg+xml")]
    [TestCase("track.mp3", "audio/mpeg")]
    public void Signature_PngBytesUnderAnotherName_Fails(string fileName, string contentType) =>
        Assert.That(FileValidators.Signature().ValidateHead(Header(fileName, contentType), SampleFiles.Png()), Does.Contain("PNG"));

    [Test]
    public void Signature_UnrecognisedBytesOfUnrecognisedType_Passes() =>
        Assert.That(FileValidators.Signature().ValidateHead(Header("notes.txt", "text/plain"), "plain text"u8), Is.Null);

    [TestCase("song.mp3")]
    [TestCase("SONG.MP3")]
    [TestCase("my.song.Mp3")]
    public void Extensions_AllowedInAnyCase_Passes(string fileName) =>
        Assert.That(FileValidators.Extensions("mp3", ".wav").ValidateFile(Header(fileName)), Is.Null);

    [TestCase("song.exe", "exe")]
    [TestCase("song.mp3.exe", "exe")]
    [TestCase("song", "")]
    public void Extensions_NotAllowed_FailsWithDjangoMessage(string fileName, string extension) =>
        Assert.That(FileValidators.Extensions("mp3", "wav").ValidateFile(Header(fileName)),
            Is.EqualTo($"File extension \"{extension}\" is not allowed. Allowed extensions are: mp3, wav."));

    [Test]
    public void MaxSize_Crossed_FailsWithDrfMessage()
    {
        var validator = FileValidators.MaxSize(1 << 20);
        Assert.That(validator.ValidateLength(Header(), 1 << 20, isComplete: false), Is.Null);
        Assert.That(validator.ValidateLength(Header(), (1 << 20) + 1, isComplete: false), Is.EqualTo("File is larger than 1 MiB."));
    }

    [Test]
    public void MaxSize_DeclaredLengthOver_FailsBeforeAnyByte()
    {
        var header = new UploadFileHeader("file", "a.mp3", "audio/mpeg") { DeclaredLength = 50L << 20 };
        Assert.That(FileValidators.MaxSize(1 << 20).ValidateFile(header), Is.EqualTo("File is larger than 1 MiB."));
    }

    [Test]
    public void MinSize_CheckedOnlyWhenComplete()
    {
        var validator = FileValidators.MinSize(1024);
        Assert.That(validator.ValidateLength(Header(), 10, isComplete: false), Is.Null);
        Assert.That(validator.ValidateLength(Header(), 10, isComplete: true), Is.EqualTo("File is smaller than 1 KiB."));
        Assert.That(validator.ValidateLength(Header(), 0, isComplete: true), Is.EqualTo("The submitted file is empty."));
        Assert.That(validator.ValidateLength(Header(), 1024, isComplete: true), Is.Null);
    }

    [TestCase(0, "0 bytes")]
    [TestCase(1, "1 byte")]
    [TestCase(1023, "1023 bytes")]
    [TestCase(1536, "1.5 KiB")]
    [TestCase(1048576, "1 MiB")]
    [TestCase(104857600, "100 MiB")]
    [TestCase(1048575, "1 MiB")]
    [TestCase(1_000_000, "976.6 KiB")]
    [TestCase(5L * 1024 * 1024 * 1024, "5 GiB")]
    public void ByteSizeFormat_Values_ReadInBinaryUnitsNamedAsSuch(long bytes, string expected) =>
        Assert.That(ByteSize.Format(bytes), Is.EqualTo(expected));

    [TestCase(1000, "1000 bytes")]
    [TestCase(1048577, "1 MiB (1,048,577 bytes)")]
    public void ByteSizeFormatExact_TwoLengthsThatDiffer_NeverReadTheSame(long bytes, string expected) =>
        Assert.That(ByteSize.FormatExact(bytes), Is.EqualTo(expected));

    [TestCase("image/png", true)]
    [TestCase("IMAGE/JPEG", true)]
    [TestCase("audio/mpeg", true)]
    [TestCase("text/html", false)]
    [TestCase("", false)]
    public void ContentTypes_DeclaredType_MatchesListAndWildcards(string contentType, bool allowed)
    {
        var error = FileValidators.ContentTypes("image/*", "audio/mpeg").ValidateFile(Header("x", contentType));
        Assert.That(error is null, Is.EqualTo(allowed));
    }

    private static IEnumerable<TestCaseData> Images()
    {
        yield return new TestCaseData(SampleFiles.Png(100, 50), 100, 50).SetName("ImageSize_Png_ReadsHeader");
        yield return new TestCaseData(SampleFiles.Gif(120, 80), 120, 80).SetName("ImageSize_Gif_ReadsHeader");
        yield return new TestCaseData(SampleFiles.Jpeg(640, 480, 30_000), 640, 480).SetName("ImageSize_JpegAfterLargeApp1_ReadsFrameHeader");
        yield return new TestCaseData(SampleFiles.WebPLossy(300, 200), 300, 200).SetName("ImageSize_WebPLossy_ReadsHeader");
        yield return new TestCaseData(SampleFiles.WebPLossless(301, 201), 301, 201).SetName("ImageSize_WebPLossless_ReadsHeader");
        yield return new TestCaseData(SampleFiles.WebPExtended(3000, 2000), 3000, 2000).SetName("ImageSize_WebPExtended_ReadsHeader");
    }

    [TestCaseSource(nameof(Images))]
    public void ImageSize_Header_ReturnsDimensions(byte[] head, int width, int height)
    {
        Assert.That(FileSignatures.TryGetImageSize(head, out var w, out var h), Is.True);
        Assert.That((w, h), Is.EqualTo((width, height)));
    }

    [Test]
    public void ImageDimensions_OutOfBounds_Fails()
    {
        var validator = FileValidators.ImageDimensions(minWidth: 10, maxWidth: 1000, maxHeight: 1000);
        Assert.That(validator.ValidateHead(Header("a.png", "image/png"), SampleFiles.Png(100, 50)), Is.Null);
        Assert.That(
            validator.ValidateHead(Header("a.png", "image/png"), SampleFiles.Png(2000, 50)),
            Is.EqualTo("Image width 2000 px is larger than 1000 px."));
        Assert.That(
            validator.ValidateHead(Header("a.png", "image/png"), SampleFiles.Png(5, 50)), Is.EqualTo("Image width 5 px is smaller than 10 px."));
        Assert.That(validator.ValidateHead(Header("a.png", "image/png"), SampleFiles.Html()), Does.StartWith("Upload a valid image."));
    }

    [Test]
    public void ImageDimensions_TruncatedJpeg_FailsAsInvalidImage() =>
        Assert.That(
            FileValidators.ImageDimensions(maxWidth: 10).ValidateHead(Header("a.jpg", "image/jpeg"), SampleFiles.Jpeg()[..100]),
            Does.StartWith("Upload a valid image."));
}
