namespace UploadKit;

/// <summary>The app-wide handler chain, as factories in order.</summary>
internal sealed class UploadHandlerChainOptions
{
    public List<Func<IServiceProvider, UploadHandler>> Factories { get; } =
    [
        sp => new MemoryUploadHandler(),
        sp => new TemporaryFileUploadHandler(),
    ];
}
