using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using UploadKit.Diagnostics;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Diagnostics;

[NonParallelizable]
public class UploadTelemetryTests : TempDirectoryTests
{
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private MeterListener _meters = null!;
    private ActivityListener _spans = null!;

    [SetUp]
    public void SetUp()
    {
        _measurements.Clear();
        _activities.Clear();
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "UploadKit")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "UploadKit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_spans);
    }

    [TearDown]
    public void TearDown()
    {
        _meters.Dispose();
        _spans.Dispose();
    }

    [Test]
    public async Task Upload_Completed_CountsStartCompletionBytesDurationAndOneSpan()
    {
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)));
        var data = RandomBytes(123_456);

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", data)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Sum("uploadkit.uploads.started"), Is.EqualTo(1));
        Assert.That(Sum("uploadkit.uploads.completed"), Is.EqualTo(1));
        Assert.That(Sum("uploadkit.uploads.rejected"), Is.Zero);
        Assert.That(Sum("uploadkit.upload.bytes_received"), Is.EqualTo(data.Length));
        var duration = _measurements.Single(m => m.Instrument == "uploadkit.upload.duration");
        Assert.That(duration.Value, Is.GreaterThan(0));
        Assert.That(duration.Tags[UploadKitTelemetry.OutcomeTag], Is.EqualTo("completed"));
        var span = _activities.Single(a => a.OperationName == UploadKitTelemetry.UploadActivityName);
        Assert.That(span.Source.Name, Is.EqualTo("UploadKit"));
        Assert.That(span.Status, Is.Not.EqualTo(ActivityStatusCode.Error));
    }

    [Test]
    public async Task Upload_Rejected_CountsRejectionWithStatusCodeAndMarksSpanFailed()
    {
        await using var app = await UploadApp.StartAsync(
            Temp, a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)), o => o.MaxRequestBodySize = 1000);

        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", RandomBytes(5000)), chunked: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        var rejected = _measurements.Single(m => m.Instrument == "uploadkit.uploads.rejected");
        Assert.That(rejected.Tags[UploadKitTelemetry.StatusCodeTag], Is.EqualTo(413));
        Assert.That(Sum("uploadkit.uploads.completed"), Is.Zero);
        var span = _activities.Single(a => a.OperationName == UploadKitTelemetry.UploadActivityName);
        Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(span.GetTagItem(UploadKitTelemetry.StatusCodeTag), Is.EqualTo(413));
    }

    [Test]
    public void DirectUploadInstruments_Published_UnderUploadKitMeter()
    {
        UploadKitTelemetry.DirectUploadsConfirmed.Add(1);
        UploadKitTelemetry.DirectUploadsExpired.Add(2);

        Assert.That(Sum("uploadkit.direct_uploads.confirmed"), Is.EqualTo(1));
        Assert.That(Sum("uploadkit.direct_uploads.expired"), Is.EqualTo(2));
    }

    private double Sum(string instrument) => _measurements.Where(m => m.Instrument == instrument).Sum(m => m.Value);

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct, IConvertible
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, value.ToDouble(null), copy));
    }
}
