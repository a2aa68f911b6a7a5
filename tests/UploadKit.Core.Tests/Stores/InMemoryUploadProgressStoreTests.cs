using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;

namespace UploadKit.Tests.Stores;

public class InMemoryUploadProgressStoreTests
{
    [Test]
    public async Task GetAsync_BeforeTimeToLive_ReturnsCopyOfSnapshot()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryUploadProgressStore(time);
        var progress = new UploadProgress("0123456789abcdef0123456789abcdef") { OwnerId = "alice", BytesReceived = 10, BytesExpected = 20 };
        await store.SetAsync(progress, TimeSpan.FromMinutes(1));
        progress.BytesReceived = 15;

        time.Advance(TimeSpan.FromSeconds(59));
        var read = await store.GetAsync(progress.Id);

        Assert.That(read, Is.Not.Null);
        Assert.That(read!.BytesReceived, Is.EqualTo(10), "the store keeps what was written, not a live reference");
        Assert.That(read.OwnerId, Is.EqualTo("alice"));
        Assert.That(read.BytesExpected, Is.EqualTo(20));
    }

    [Test]
    public async Task GetAsync_AfterTimeToLive_ReturnsNull()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryUploadProgressStore(time);
        await store.SetAsync(new UploadProgress("0123456789abcdef0123456789abcdef"), TimeSpan.FromMinutes(1));

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.That(await store.GetAsync("0123456789abcdef0123456789abcdef"), Is.Null);
    }

    [Test]
    public async Task SetAsync_AgainBeforeExpiry_RestartsTimeToLive()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryUploadProgressStore(time);
        var progress = new UploadProgress("0123456789abcdef0123456789abcdef");
        await store.SetAsync(progress, TimeSpan.FromMinutes(1));
        time.Advance(TimeSpan.FromSeconds(50));
        await store.SetAsync(progress, TimeSpan.FromMinutes(1));

        time.Advance(TimeSpan.FromSeconds(50));

        Assert.That(await store.GetAsync(progress.Id), Is.Not.Null);
    }
}
