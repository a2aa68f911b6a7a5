using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace UploadKit;

/// <summary>
/// How every storage backend binds its options from configuration: unknown keys, values that do not convert, and
/// settings that can only be set in code are an <see cref="OptionsValidationException"/> naming the storage, the
/// backend and the key, so a typo fails at start-up instead of passing silently.
/// </summary>
public static class StorageOptionsBinder
{
    /// <summary>Creates and binds a backend's options from a storage's <c>Options</c> section.</summary>
    /// <typeparam name="TOptions">The backend's options type.</typeparam>
    /// <param name="storageName">The storage's name, such as <c>"tracks"</c>.</param>
    /// <param name="backendName">The backend's name, such as <c>"S3"</c>.</param>
    /// <param name="section">The storage's <c>Options</c> section.</param>
    /// <param name="bind">
    /// Binds the section onto the options with the given binder settings: <c>(section, options, binder) =&gt;
    /// section.Bind(options, binder)</c>, written in the backend so that the configuration binding generator sees its
    /// options type.
    /// </param>
    /// <param name="codeOnlyKeys">Options that cannot come from configuration (credentials, factories), refused when present.</param>
    /// <returns>The bound options, not yet validated.</returns>
    /// <exception cref="OptionsValidationException">A key is unknown or code-only, or a value does not convert.</exception>
    public static TOptions Bind<TOptions>(
        string storageName,
        string backendName,
        IConfiguration section,
        Action<IConfiguration, TOptions, Action<BinderOptions>> bind,
        params string[] codeOnlyKeys)
        where TOptions : new()
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(codeOnlyKeys);
        var failures = codeOnlyKeys
            .Where(key => section.GetSection(key).Exists())
            .Select(key => $"{key} can only be set in code, not in configuration.")
            .ToList();
        var options = new TOptions();
        if (failures.Count == 0)
        {
            try
            {
                bind(section, options, binder => binder.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException ex)
            {
                // The binder names the unknown keys or the value it could not convert.
                failures.Add(ex.Message);
            }
        }

        if (failures.Count > 0)
        {
            var path = section is IConfigurationSection { Path: { Length: > 0 } sectionPath } ? sectionPath + ": " : string.Empty;
            throw new OptionsValidationException(
                storageName, typeof(TOptions), failures.Select(f => $"Storage '{storageName}' ({backendName}): {path}{f}"));
        }

        return options;
    }
}
