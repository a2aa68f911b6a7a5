namespace UploadKit;

/// <summary>
/// The bytes of uploaded files that the whole application may hold in memory at once
/// (<see cref="UploadOptions.MaxProcessMemoryBufferSize"/>). One instance per application, shared by every request.
/// </summary>
internal sealed class UploadMemoryBudget(long limit)
{
    private long _used;

    /// <summary>Gets a budget of the default size, for handlers attached to a request outside an application.</summary>
    public static UploadMemoryBudget Default { get; } = new(UploadOptions.DefaultMaxProcessMemoryBufferSize);

    /// <summary>Gets the limit in bytes.</summary>
    public long Limit { get; } = limit;

    /// <summary>Gets the bytes reserved now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/> if they fit under the limit.</summary>
    /// <returns><see langword="true"/> if reserved; the caller then owes a <see cref="Release"/>.</returns>
    public bool TryReserve(long bytes)
    {
        var used = Interlocked.Read(ref _used);
        while (true)
        {
            if (used + bytes > Limit)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used)
            {
                return true;
            }

            used = seen;
        }
    }

    /// <summary>Gives back bytes reserved earlier.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}

/// <summary>
/// What one request holds of file bytes in memory (<see cref="UploadOptions.MaxRequestMemoryBufferSize"/>), reserved
/// from the application's <see cref="UploadMemoryBudget"/> as well.
/// </summary>
internal sealed class RequestMemoryAccount(long limit, UploadMemoryBudget budget)
{
    private long _held;

    /// <summary>Gets the bytes the request holds now.</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Gets the application's budget the request draws on.</summary>
    public UploadMemoryBudget Budget => budget;

    /// <summary>Reserves <paramref name="bytes"/> if they fit under both the request's limit and the application's.</summary>
    /// <returns><see langword="true"/> if reserved; the caller then owes a <see cref="Release"/>.</returns>
    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _held, bytes) > limit)
        {
            Interlocked.Add(ref _held, -bytes);
            return false;
        }

        if (!budget.TryReserve(bytes))
        {
            Interlocked.Add(ref _held, -bytes);
            return false;
        }

        return true;
    }

    /// <summary>Gives back bytes reserved earlier, to the request and to the application.</summary>
    public void Release(long bytes)
    {
        Interlocked.Add(ref _held, -bytes);
        budget.Release(bytes);
    }
}
