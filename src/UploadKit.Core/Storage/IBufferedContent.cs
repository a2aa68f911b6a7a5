using System.Buffers;

namespace UploadKit;

/// <summary>
/// A content stream whose bytes are already in memory (an <see cref="InMemoryUploadedFile"/>'s): a storage that can write
/// memory directly takes them in one gathered write instead of copying the stream through a buffer.
/// </summary>
internal interface IBufferedContent
{
    /// <summary>Gets the bytes not read yet.</summary>
    ReadOnlySequence<byte> Unread { get; }

    /// <summary>Marks every byte as read, as a copy to the end of the stream would.</summary>
    void MarkRead();
}
