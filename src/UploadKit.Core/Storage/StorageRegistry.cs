using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace UploadKit;

/// <summary>
/// The app's named storages, from the <c>Storages</c> child of UploadKit's configuration section and from
/// <see cref="UploadKitBuilderExtensions.AddStorage"/> (code wins). Storages are created once, on first use or at
/// start-up validation, whichever comes first.
/// </summary>
internal sealed class StorageRegistry : IStorageRegistry
{
    private static readonly string[] StorageKeys = ["Backend", "Options"];

    private readonly Dictionary<string, Lazy<IFileStorage>> _storages = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _errors = [];

    public StorageRegistry(
        IServiceProvider services,
        IEnumerable<StorageBackendRegistration> backends,
        IEnumerable<StorageRegistration> registrations,
        UploadKitConfiguration? configuration = null)
    {
        var backendsByName = new Dictionary<string, StorageBackendRegistration>(StringComparer.OrdinalIgnoreCase);
        foreach (var backend in backends)
        {
            backendsByName[backend.BackendName] = backend;
        }

        if (configuration is not null)
        {
            foreach (var storage in configuration.Section.GetSection("Storages").GetChildren())
            {
                AddConfigured(storage, backendsByName, services);
            }
        }

        foreach (var registration in registrations)
        {
            var factory = registration.Factory;
            _storages[registration.StorageName] = new Lazy<IFileStorage>(() => factory(services));
        }

        if (_storages.Count > 0 && !_storages.ContainsKey(FileStorageNames.Default))
        {
            _errors.Add($"No storage is named '{FileStorageNames.Default}': add UploadKit:Storages:{FileStorageNames.Default} " +
                $"(Django's STORAGES[\"default\"]) or call AddStorage(\"{FileStorageNames.Default}\", ...).");
        }

        Names = _storages.Keys.ToArray();
    }

    public IFileStorage this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            return TryGetStorage(name, out var storage)
                ? storage
                : throw new KeyNotFoundException(
                    $"No storage is named '{name}'. Configure UploadKit:Storages:{name} with a " +
                        $"Backend and Options, or call AddStorage(\"{name}\", ...).");
        }
    }

    public IFileStorage Default => this[FileStorageNames.Default];

    public IReadOnlyCollection<string> Names { get; }

    public bool TryGetStorage(string name, [NotNullWhen(true)] out IFileStorage? storage)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_storages.TryGetValue(name, out var lazy))
        {
            storage = lazy.Value;
            return true;
        }

        storage = null;
        return false;
    }

    /// <summary>Creates every storage and reports what is wrong, naming each storage and option.</summary>
    /// <returns>The problems found; empty when every storage was created.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(_errors);
        foreach (var (name, lazy) in _storages)
        {
            try
            {
                _ = lazy.Value;
            }
            catch (OptionsValidationException ex)
            {
                errors.AddRange(ex.Failures.Select(f => $"Storage '{name}': {f}"));
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IOException or
                UnauthorizedAccessException)
            {
                errors.Add($"Storage '{name}' could not be created: {ex.Message}");
            }
        }

        return errors;
    }

    private void AddConfigured(IConfigurationSection storage, Dictionary<string, StorageBackendRegistration> backends, IServiceProvider services)
    {
        var name = storage.Key;
        foreach (var child in storage.GetChildren())
        {
            if (!StorageKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                _errors.Add($"Storage '{name}' has an unknown setting '{child.Key}'; a storage has only 'Backend' and 'Options'.");
            }
        }

        var backendName = storage["Backend"];
        if (string.IsNullOrWhiteSpace(backendName))
        {
            _errors.Add($"Storage '{name}' has no 'Backend' (such as \"FileSystem\", \"InMemory\", \"S3\", \"AzureBlob\" or \"Gcs\").");
            return;
        }

        if (!backends.TryGetValue(backendName, out var backend))
        {
            var known = string.Join(", ", backends.Keys.Order(StringComparer.OrdinalIgnoreCase).Select(k => $"\"{k}\""));
            _errors.Add($"Storage '{name}' has an unknown Backend '{backendName}'. Known backends: {known}. " +
                "Satellite backends are added with AddS3Storage(), AddAzureBlobStorage() or AddGcsStorage().");
            return;
        }

        var context = new StorageBackendContext(name, storage.GetSection("Options"), services);
        var factory = backend.Factory;
        _storages[name] = new Lazy<IFileStorage>(() => factory(context));
    }
}

/// <summary>The options type whose start-up validation creates every storage.</summary>
internal sealed class StorageRegistryCheck
{
}

/// <summary>Fails start-up (through <c>ValidateOnStart</c>) when a storage is misconfigured.</summary>
internal sealed class StorageRegistryValidator(StorageRegistry registry) : IValidateOptions<StorageRegistryCheck>
{
    public ValidateOptionsResult Validate(string? name, StorageRegistryCheck options)
    {
        var errors = registry.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
