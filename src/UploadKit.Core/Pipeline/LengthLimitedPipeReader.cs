using System.Buffers;
using System.IO.Pipelines;

namespace UploadKit.Pipeline;

/// <summary>A reader that refuses to let more than <paramref name="limit"/> bytes through, failing as soon as they arrive.</summary>
internal sealed class LengthLimitedPipeReader(PipeReader inner, long limit, Func<Exception> exceeded) : PipeReader
{
    private long _consumed;
    private ReadOnlySequence<byte> _last;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        Check(result);
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Check(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _consumed += _last.Slice(_last.Start, consumed).Length;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        // The request body belongs to the server; it is not completed here.
    }

    private void Check(ReadResult result)
    {
        _last = result.Buffer;
        if (_consumed + result.Buffer.Length > limit)
        {
            inner.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            throw exceeded();
        }
    }
}
