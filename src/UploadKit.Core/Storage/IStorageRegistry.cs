using System.Diagnostics.CodeAnalysis;

namespace UploadKit;

/// <summary>The app's named storages: Django's <c>STORAGES</c> and <c>storages["name"]</c>.</summary>
public interface IStorageRegistry
{
    /// <summary>Gets the storage named <paramref name="name"/>.</summary>
    /// <param name="name">The storage name, as configured under <c>UploadKit:Storages</c>.</param>
    /// <exception cref="KeyNotFoundException">No storage has that name.</exception>
    IFileStorage this[string name] { get; }

    /// <summary>Gets the storage named <see cref="FileStorageNames.Default"/> (Django's <c>default_storage</c>).</summary>
    IFileStorage Default { get; }

    /// <summary>Gets the configured storage names.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>Gets the storage named <paramref name="name"/>, if there is one.</summary>
    /// <param name="name">The storage name.</param>
    /// <param name="storage">The storage, when found.</param>
    /// <returns><see langword="true"/> if the storage exists.</returns>
    bool TryGetStorage(string name, [NotNullWhen(true)] out IFileStorage? storage);
}
