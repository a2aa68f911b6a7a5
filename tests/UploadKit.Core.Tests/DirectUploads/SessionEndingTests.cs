using UploadKit.Stores;

namespace UploadKit.Tests.DirectUploads;

public class SessionEndingTests
{
    [TestCase(UploadSessionState.Expired)]
    [TestCase(UploadSessionState.Rejected)]
    [TestCase(UploadSessionState.Cancelled)]
    public async Task EndAndDeleteAsync_DeleteFails_SessionPendingAgainForTheSweeper(UploadSessionState next)
    {
        var store = new InMemoryUploadSessionStore();
        var session = new UploadSession("s1", "default", "uploads/a/x.png", DateTimeOffset.UtcNow.AddMinutes(-1));
        await store.CreateAsync(session);
        var storage = new Mock<IFileStorage>();
        storage.Setup(s => s.DeleteAsync(session.ObjectName, It.IsAny<CancellationToken>())).ThrowsAsync(new IOException("storage unavailable"));

        Assert.ThrowsAsync<IOException>(() => SessionEnding.EndAndDeleteAsync(store, storage.Object, session, next, null, CancellationToken.None));

        Assert.That((await store.GetAsync(session.Id))!.State, Is.EqualTo(UploadSessionState.Pending));
        var expired = new List<string>();
        await foreach (var listed in store.ListExpiredAsync(DateTimeOffset.UtcNow))
        {
            expired.Add(listed.Id);
        }

        Assert.That(expired, Does.Contain(session.Id), "the next sweep deletes the object");
    }

    [Test]
    public async Task EndAndDeleteAsync_AlreadyEnded_ReturnsNullAndDeletesNothing()
    {
        var store = new InMemoryUploadSessionStore();
        var session = new UploadSession("s2", "default", "uploads/b/y.png", DateTimeOffset.UtcNow.AddMinutes(5));
        await store.CreateAsync(session);
        await store.TryTransitionAsync(session.Id, UploadSessionState.Pending, UploadSessionState.Completed);
        var storage = new Mock<IFileStorage>(MockBehavior.Strict);

        var result = await SessionEnding.EndAndDeleteAsync(
            store, storage.Object, session, UploadSessionState.Cancelled, null, CancellationToken.None);

        Assert.That(result, Is.Null);
    }
}
