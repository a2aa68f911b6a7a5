namespace UploadKit.Samples.Tests;

/// <summary>The browser files the samples serve from wwwroot/lib, built from the npm packages pinned in package-lock.json.</summary>
public class BrowserBundleTests
{
    [Test]
    public async Task CommittedBundles_AreWhatThePinnedPackagesBuild()
    {
        // eng/build-browser-bundles.mjs --check bundles Uppy with esbuild again and compares byte for byte.
        var output = await BrowserScript.RunNodeAsync(
            Path.Combine("eng", "build-browser-bundles.mjs"), "esbuild", needsChromium: false, TimeSpan.FromMinutes(2), "--check");

        Assert.That(output, Does.Not.Contain("is not what the pinned packages build"));
    }
}
