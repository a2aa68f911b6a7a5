using System.Reflection;
using UploadKit.Stores;

namespace UploadKit.Testing;

/// <summary>
/// What every <see cref="IResumableUploadStore"/> does the same way, run against each implementation: records
/// round-trip, leases are exclusive and run out, updates are compare-and-set under the lease, the sweeper's listing
/// and deletion. A store's test project derives a fixture from this class.
/// </summary>
public abstract class ResumableUploadStoreContract
{
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Gets the store under test: fresh and empty.</summary>
    protected IResumableUploadStore Store { get; private set; } = null!;

    /// <summary>Gets a lease short enough for a test to let it run out (by <see cref="PassAsync"/>).</summary>
    protected abstract TimeSpan ShortLease { get; }

    /// <summary>Creates the store under test.</summary>
    [SetUp]
    public async Task CreateContractStoreAsync() => Store = await CreateStoreAsync();

    /// <summary>Removes what the store kept.</summary>
    [TearDown]
    public Task DeleteContractStoreAsync() => DeleteStoreAsync();

    [Test]
    public async Task GetAsync_AfterCreate_ReturnsEveryPropertyAsCreated()
    {
        var upload = NewUpload();
        upload.State = ResumableUploadState.Rejected;
        upload.OwnerId = "alice";
        upload.Length = 5_000_000_000;
        upload.Offset = 4_194_304;
        upload.FileName = "holiday film.mp4";
        upload.ContentType = "video/mp4";
        upload.Metadata = "filename aG9saWRheSBmaWxtLm1wNA==,filetype dmlkZW8vbXA0";
        upload.Protocol = "tus";
        upload.CreatedOn = new DateTimeOffset(2026, 12, 6, 10, 11, 12, TimeSpan.FromHours(2)).AddTicks(1234567);
        upload.ExpiresOn = new DateTimeOffset(2026, 12, 7, 10, 11, 12, TimeSpan.FromHours(-5)).AddTicks(7654321);
        upload.StorageState = """{"uploadId":"abc","parts":[{"n":1,"etag":"\"e1\""}]}""";
        upload.TargetName = "videos/holiday_film.mp4";
        upload.Head = [0x00, 0x00, 0x00, 0x18, 0x66, 0x74, 0x79, 0x70, 0xFF, 0x80];
        upload.HeadChecked = true;
        upload.QuotaReserved = 4_194_304;
        upload.QuotaKey = "user:alice";
        upload.StoredName = "videos/holiday_film_x1.mp4";
        upload.RejectionReason = "The file is not an MP4 video.";
        upload.ScanVerdict = "clean";
        upload.Version = 7;
        Assert.That(DefaultedProperties(upload), Is.Empty, "every property is set, so every one is compared");

        await Store.CreateAsync(upload);
        var expected = upload.Clone();
        upload.Head![0] = 0x42;
        upload.Offset = 1;
        var read = await Store.GetAsync(upload.Id);

        Assert.That(read, Is.Not.Null);
        AssertSameProperties(read!, expected);
        read!.Head![1] = 0x42;
        read.OwnerId = "mallory";
        AssertSameProperties((await Store.GetAsync(upload.Id))!, expected);
    }

    [Test]
    public async Task GetAsync_NullableAndEmptyProperties_RoundTrip()
    {
        var upload = NewUpload();
        upload.Head = [];
        upload.Metadata = string.Empty;

        await Store.CreateAsync(upload);

        AssertSameProperties((await Store.GetAsync(upload.Id))!, upload);
    }

    [Test]
    public async Task GetAsync_UnknownId_ReturnsNull() =>
        Assert.That(await Store.GetAsync(NewId()), Is.Null);

    [Test]
    public async Task CreateAsync_SameIdTwice_ThrowsAndKeepsTheFirst()
    {
        var first = NewUpload();
        first.FileName = "first.bin";
        await Store.CreateAsync(first);
        var second = new ResumableUpload(first.Id, "other") { FileName = "second.bin" };

        Assert.That(async () => await Store.CreateAsync(second), Throws.InvalidOperationException);

        AssertSameProperties((await Store.GetAsync(first.Id))!, first);
    }

    [Test]
    public async Task TryAcquireLeaseAsync_WhileHeld_ReturnsNullUntilReleased()
    {
        var upload = await CreateReceivingAsync();
        var token = await Store.TryAcquireLeaseAsync(upload.Id, LongLease);

        Assert.That(token, Is.Not.Null.And.Not.Empty);
        Assert.That(await Store.TryAcquireLeaseAsync(upload.Id, LongLease), Is.Null);

        await Store.ReleaseLeaseAsync(upload.Id, token!);
        var next = await Store.TryAcquireLeaseAsync(upload.Id, LongLease);

        Assert.That(next, Is.Not.Null.And.Not.EqualTo(token));
    }

    [Test]
    public async Task TryAcquireLeaseAsync_UnknownUpload_ReturnsNull() =>
        Assert.That(await Store.TryAcquireLeaseAsync(NewId(), LongLease), Is.Null);

    [Test]
    public async Task TryAcquireLeaseAsync_LeasesOfTwoUploads_AreIndependent()
    {
        var first = await CreateReceivingAsync();
        var second = await CreateReceivingAsync();

        Assert.That(await Store.TryAcquireLeaseAsync(first.Id, LongLease), Is.Not.Null);
        Assert.That(await Store.TryAcquireLeaseAsync(second.Id, LongLease), Is.Not.Null);
    }

    [Test]
    public async Task TryAcquireLeaseAsync_AfterTheLeaseRanOut_GivesANewToken()
    {
        var upload = await CreateReceivingAsync();
        var old = await Store.TryAcquireLeaseAsync(upload.Id, ShortLease);

        var next = await AcquireOnceRunOutAsync(upload.Id);

        Assert.That(next, Is.Not.EqualTo(old));
        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, old!, LongLease), Is.False, "the old holder cannot renew");
        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, next, LongLease), Is.True);
    }

    [Test]
    public async Task TryAcquireLeaseAsync_TwentyAtOnce_ExactlyOneWins()
    {
        var upload = await CreateReceivingAsync();

        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Store.TryAcquireLeaseAsync(upload.Id, LongLease))));

        Assert.That(tokens.Count(t => t is not null), Is.EqualTo(1));
        var winner = tokens.Single(t => t is not null)!;
        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, winner, LongLease), Is.True);
    }

    [Test]
    public async Task TryRenewLeaseAsync_OnlyTheHolder_Renews()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;

        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, "not-the-token", LongLease), Is.False);
        Assert.That(await Store.TryRenewLeaseAsync(NewId(), token, LongLease), Is.False, "the token is for another upload");
        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, token, LongLease), Is.True);
        Assert.That(await Store.TryAcquireLeaseAsync(upload.Id, LongLease), Is.Null);
    }

    [Test]
    public async Task TryRenewLeaseAsync_BeforeItRunsOut_KeepsTheLeaseForTheNewDuration()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, ShortLease))!;

        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, token, LongLease), Is.True);
        await PassAsync(ShortLease * 2);

        Assert.That(await Store.TryAcquireLeaseAsync(upload.Id, LongLease), Is.Null);
        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, token, LongLease), Is.True);
    }

    [Test]
    public async Task TryRenewLeaseAsync_AfterRelease_ReturnsFalse()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;
        await Store.ReleaseLeaseAsync(upload.Id, token);

        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, token, LongLease), Is.False);
    }

    [Test]
    public async Task ReleaseLeaseAsync_ByAnotherToken_KeepsTheLease()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;

        await Store.ReleaseLeaseAsync(upload.Id, "not-the-token");

        Assert.That(await Store.TryAcquireLeaseAsync(upload.Id, LongLease), Is.Null);
        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, token, LongLease), Is.True);
    }

    [Test]
    public async Task ReleaseLeaseAsync_ByTheOldHolderAfterItRanOut_KeepsTheNewHoldersLease()
    {
        var upload = await CreateReceivingAsync();
        var old = (await Store.TryAcquireLeaseAsync(upload.Id, ShortLease))!;
        var current = await AcquireOnceRunOutAsync(upload.Id);
        var read = (await Store.GetAsync(upload.Id))!;

        await Store.ReleaseLeaseAsync(upload.Id, old);

        Assert.That(await Store.TryAcquireLeaseAsync(upload.Id, LongLease), Is.Null, "the new holder's lease stands");
        read.Offset = 100;
        Assert.That(await Store.TryUpdateAsync(read, old), Is.False, "the old holder cannot write");
        Assert.That(await Store.TryUpdateAsync(read, current), Is.True);
        Assert.That((await Store.GetAsync(upload.Id))!.Offset, Is.EqualTo(100));
    }

    [Test]
    public async Task TryUpdateAsync_WithTheLeaseAndVersion_ReplacesTheRecordAndIncrementsTheVersion()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;
        var read = (await Store.GetAsync(upload.Id))!;
        read.Offset = 8_388_608;
        read.Length = 16_777_216;
        read.StorageState = "part-list-1";
        read.Head = [1, 2, 3];
        read.HeadChecked = true;
        read.QuotaReserved = 8_388_608;

        Assert.That(await Store.TryUpdateAsync(read, token), Is.True);
        Assert.That(read.Version, Is.EqualTo(upload.Version + 1), "the caller's record has the new version");
        AssertSameProperties((await Store.GetAsync(upload.Id))!, read);

        read.Offset = 16_777_216;
        read.State = ResumableUploadState.Completed;
        read.Head = null;
        read.StoredName = "videos/a.mp4";
        Assert.That(await Store.TryUpdateAsync(read, token), Is.True, "again, with the version it now has");
        Assert.That(read.Version, Is.EqualTo(upload.Version + 2));
        AssertSameProperties((await Store.GetAsync(upload.Id))!, read);
    }

    [Test]
    public async Task TryUpdateAsync_StaleVersion_FailsAndKeepsTheNewerRecord()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;
        var first = (await Store.GetAsync(upload.Id))!;
        var second = (await Store.GetAsync(upload.Id))!;
        first.Offset = 10;
        second.Offset = 20;

        Assert.That(await Store.TryUpdateAsync(first, token), Is.True);
        Assert.That(await Store.TryUpdateAsync(second, token), Is.False);

        Assert.That(second.Version, Is.EqualTo(upload.Version), "a refused update leaves the caller's version");
        AssertSameProperties((await Store.GetAsync(upload.Id))!, first);
    }

    [Test]
    public async Task TryUpdateAsync_WithoutTheLease_Fails()
    {
        var upload = await CreateReceivingAsync();
        var read = (await Store.GetAsync(upload.Id))!;
        read.Offset = 10;

        Assert.That(await Store.TryUpdateAsync(read, "no-lease-taken"), Is.False);
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;
        Assert.That(await Store.TryUpdateAsync(read, "not-the-token"), Is.False);
        await Store.ReleaseLeaseAsync(upload.Id, token);
        Assert.That(await Store.TryUpdateAsync(read, token), Is.False, "a released lease");

        AssertSameProperties((await Store.GetAsync(upload.Id))!, upload);
    }

    [Test]
    public async Task TryUpdateAsync_AfterTheLeaseRanOut_Fails()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, ShortLease))!;
        var read = (await Store.GetAsync(upload.Id))!;
        read.Offset = 10;

        await AcquireOnceRunOutAsync(upload.Id);

        Assert.That(await Store.TryUpdateAsync(read, token), Is.False);
        AssertSameProperties((await Store.GetAsync(upload.Id))!, upload);
    }

    [Test]
    public async Task TryUpdateAsync_TwentyAtOnceFromOneVersion_ExactlyOneWins()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;
        var reads = new List<ResumableUpload>();
        for (var i = 0; i < 20; i++)
        {
            var read = (await Store.GetAsync(upload.Id))!;
            read.Offset = i + 1;
            reads.Add(read);
        }

        var results = await Task.WhenAll(reads.Select(read => Task.Run(() => Store.TryUpdateAsync(read, token))));

        Assert.That(results.Count(r => r), Is.EqualTo(1));
        var winner = reads[Array.IndexOf(results, true)];
        var stored = (await Store.GetAsync(upload.Id))!;
        Assert.That((stored.Offset, stored.Version), Is.EqualTo((winner.Offset, upload.Version + 1)));
    }

    [Test]
    public async Task TryUpdateAsync_AfterDelete_FailsAndDoesNotBringTheRecordBack()
    {
        var upload = await CreateReceivingAsync();
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;
        var read = (await Store.GetAsync(upload.Id))!;

        await Store.DeleteAsync(upload.Id);
        read.Offset = 10;

        Assert.That(await Store.TryUpdateAsync(read, token), Is.False);
        Assert.That(await Store.GetAsync(upload.Id), Is.Null);
    }

    [Test]
    public async Task ListExpiredAsync_ReturnsOnlyReceivingUploadsPastTheirExpiry()
    {
        var expired = await CreateReceivingAsync(Now.AddMinutes(-10));
        var justExpired = await CreateReceivingAsync(Now.AddTicks(-1));
        await CreateReceivingAsync(Now.AddTicks(1));
        await CreateReceivingAsync(Now.AddDays(1));
        foreach (var state in new[]
        {
            ResumableUploadState.Completed, ResumableUploadState.Rejected, ResumableUploadState.Terminated, ResumableUploadState.Expired,
        })
        {
            var ended = NewUpload();
            ended.State = state;
            ended.ExpiresOn = Now.AddMinutes(-10);
            await Store.CreateAsync(ended);
        }

        var listed = await ListExpiredAsync(Now);

        Assert.That(listed.Select(u => u.Id), Is.EquivalentTo(new[] { expired.Id, justExpired.Id }));
        AssertSameProperties(listed.Single(u => u.Id == expired.Id), expired);
    }

    [Test]
    public async Task ListExpiredAsync_FollowsUpdates_OfStateAndExpiry()
    {
        var completed = await CreateReceivingAsync(Now.AddMinutes(-10));
        var extended = await CreateReceivingAsync(Now.AddMinutes(-10));
        var shortened = await CreateReceivingAsync(Now.AddDays(1));

        await UpdateAsync(completed.Id, u => u.State = ResumableUploadState.Completed);
        await UpdateAsync(extended.Id, u => u.ExpiresOn = Now.AddDays(1));
        await UpdateAsync(shortened.Id, u => u.ExpiresOn = Now.AddMinutes(-1));

        Assert.That((await ListExpiredAsync(Now)).Select(u => u.Id), Is.EqualTo(new[] { shortened.Id }));
        Assert.That((await ListExpiredAsync(Now.AddDays(2))).Select(u => u.Id), Is.EquivalentTo(new[] { extended.Id, shortened.Id }));
    }

    [Test]
    public async Task DeleteAsync_RemovesTheRecordItsLeaseAndItsListing()
    {
        var upload = await CreateReceivingAsync(Now.AddMinutes(-10));
        var token = (await Store.TryAcquireLeaseAsync(upload.Id, LongLease))!;

        await Store.DeleteAsync(upload.Id);

        Assert.That(await Store.GetAsync(upload.Id), Is.Null);
        Assert.That(await ListExpiredAsync(Now), Is.Empty);
        Assert.That(await Store.TryRenewLeaseAsync(upload.Id, token, LongLease), Is.False, "the lease went with the record");
        await Store.CreateAsync(upload);
        Assert.That(await Store.TryAcquireLeaseAsync(upload.Id, LongLease), Is.Not.Null, "a record made again under the id is free");
    }

    [Test]
    public async Task DeleteAsync_UnknownId_DoesNothing()
    {
        var upload = await CreateReceivingAsync();

        await Store.DeleteAsync(NewId());

        AssertSameProperties((await Store.GetAsync(upload.Id))!, upload);
    }

    /// <summary>Creates the store under test.</summary>
    /// <returns>A fresh, empty store.</returns>
    protected abstract Task<IResumableUploadStore> CreateStoreAsync();

    /// <summary>Lets <paramref name="time"/> pass for the store: advances a fake clock, or waits for a store timed by its server.</summary>
    /// <param name="time">How long.</param>
    /// <returns>A task that completes when the time has passed.</returns>
    protected abstract Task PassAsync(TimeSpan time);

    /// <summary>Removes what the store kept, after each test.</summary>
    /// <returns>A task.</returns>
    protected virtual Task DeleteStoreAsync() => Task.CompletedTask;

    /// <summary>A new record with only the required values set.</summary>
    /// <returns>The record.</returns>
    protected static ResumableUpload NewUpload() => new(NewId(), "default") { CreatedOn = Now.AddHours(-1), ExpiresOn = Now.AddDays(1) };

    /// <summary>A new upload id like the ones the service makes.</summary>
    /// <returns>An id.</returns>
    protected static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>The properties of <paramref name="upload"/> that still have their type's default value.</summary>
    /// <param name="upload">The record.</param>
    /// <returns>The names.</returns>
    protected static IEnumerable<string> DefaultedProperties(ResumableUpload upload) =>
        from property in Properties
        let value = property.GetValue(upload)
        where value is null || (property.PropertyType.IsValueType && value.Equals(Activator.CreateInstance(property.PropertyType)))
        select property.Name;

    /// <summary>Asserts that two records have equal values in every public property (byte arrays by content).</summary>
    /// <param name="actual">The record read back.</param>
    /// <param name="expected">The record written.</param>
    protected static void AssertSameProperties(ResumableUpload actual, ResumableUpload expected)
    {
        Assert.Multiple(() =>
        {
            foreach (var property in Properties)
            {
                Assert.That(property.GetValue(actual), Is.EqualTo(property.GetValue(expected)), property.Name);
            }

            // DateTimeOffset equality compares instants; the offset the client's time was given in is kept too.
            Assert.That((actual.CreatedOn.Offset, actual.ExpiresOn.Offset), Is.EqualTo((expected.CreatedOn.Offset, expected.ExpiresOn.Offset)));
        });
    }

    private static PropertyInfo[] Properties => typeof(ResumableUpload).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    private async Task<ResumableUpload> CreateReceivingAsync(DateTimeOffset? expiresOn = null)
    {
        var upload = NewUpload();
        upload.ExpiresOn = expiresOn ?? upload.ExpiresOn;
        await Store.CreateAsync(upload);
        return upload;
    }

    private async Task UpdateAsync(string id, Action<ResumableUpload> change)
    {
        var token = (await Store.TryAcquireLeaseAsync(id, LongLease))!;
        var upload = (await Store.GetAsync(id))!;
        change(upload);
        Assert.That(await Store.TryUpdateAsync(upload, token), Is.True);
        await Store.ReleaseLeaseAsync(id, token);
    }

    private async Task<List<ResumableUpload>> ListExpiredAsync(DateTimeOffset now)
    {
        var listed = new List<ResumableUpload>();
        await foreach (var upload in Store.ListExpiredAsync(now))
        {
            listed.Add(upload);
        }

        return listed;
    }

    /// <summary>
    /// Lets a <see cref="ShortLease"/> run out and takes the lease as another holder would: at once with a fake clock;
    /// polling, within a bound, for a store whose server times the lease.
    /// </summary>
    private async Task<string> AcquireOnceRunOutAsync(string id)
    {
        await PassAsync(ShortLease);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var token = await Store.TryAcquireLeaseAsync(id, LongLease);
            if (token is not null)
            {
                return token;
            }

            await PassAsync(ShortLease / 4);
        }

        Assert.Fail($"The lease of {ShortLease} did not run out within {ShortLease * 26}.");
        return null!;
    }
}
