using System.Buffers;

namespace UploadKit;

/// <summary>A link of a <see cref="ReadOnlySequence{T}"/> built from separate blocks of memory.</summary>
internal sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    public BufferSegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Adds the next block after this one.</summary>
    /// <returns>The new last segment.</returns>
    public BufferSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new BufferSegment(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }
}
