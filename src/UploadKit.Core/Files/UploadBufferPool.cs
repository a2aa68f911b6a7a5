using System.Buffers;

namespace UploadKit;

/// <summary>
/// The pool for files held in memory. <see cref="ArrayPool{T}.Shared"/> keeps a returned array in the returning
/// thread's own slot, so the next request, usually on another thread, missed it and allocated megabytes anew; a
/// pool of its own shares arrays across threads. Arrays over its largest size are allocated and dropped.
/// </summary>
internal static class UploadBufferPool
{
    private const int MaxPooledArrayLength = 8 * 1024 * 1024;
    private const int MaxArraysPerSize = 32;

    public static ArrayPool<byte> Shared { get; } = ArrayPool<byte>.Create(MaxPooledArrayLength, MaxArraysPerSize);
}
