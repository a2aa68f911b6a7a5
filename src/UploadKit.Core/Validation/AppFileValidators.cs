namespace UploadKit;

/// <summary>The app-wide validators by field (<see langword="null"/> for every field), for direct uploads.</summary>
internal sealed class AppFileValidators
{
    public List<KeyValuePair<string?, IFileValidator>> Validators { get; } = [];
}
