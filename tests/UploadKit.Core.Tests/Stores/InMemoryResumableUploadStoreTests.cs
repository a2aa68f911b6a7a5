using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Tests.Stores;

/// <summary>The resumable-upload store contract in memory, its leases timed by a fake clock.</summary>
public sealed class InMemoryResumableUploadStoreTests : ResumableUploadStoreContract
{
    private FakeTimeProvider _clock = null!;

    protected override TimeSpan ShortLease => TimeSpan.FromMinutes(1);

    protected override Task<IResumableUploadStore> CreateStoreAsync()
    {
        _clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        return Task.FromResult<IResumableUploadStore>(new InMemoryResumableUploadStore(_clock));
    }

    protected override Task PassAsync(TimeSpan time)
    {
        _clock.Advance(time);
        return Task.CompletedTask;
    }
}
