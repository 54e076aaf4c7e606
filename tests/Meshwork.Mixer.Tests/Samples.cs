using Meshwork.Config.Loading;
using Meshwork.Config.Resources;
using Meshwork.Config.Validation;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Runtime;

namespace Meshwork.Mixer.Tests;

/// <summary>Reads Istio 1.4's Mixer samples from the shared samples directory and builds a runtime over them.</summary>
internal static class Samples
{
    public const string Root = "/work/shared/istio-samples/mixer";

    public static IReadOnlyList<ConfigResource> Load(params string[] files)
    {
        var resources = new List<ConfigResource>();
        foreach (var file in files)
        {
            var path = Path.Combine(Root, file);
            Assert.True(File.Exists(path), $"sample {path} is missing");
            var outcome = ConfigValidator.Complete(ConfigReader.ReadFile(path, file));
            Assert.True(outcome.IsValid, string.Join("\n", outcome.Errors));
            resources.AddRange(outcome.Valid);
        }

        return resources;
    }

    public static IReadOnlyList<ConfigResource> Text(string yaml, string file = "test.yaml")
    {
        var outcome = ConfigValidator.Complete(ConfigReader.ReadText(yaml, file));
        Assert.True(outcome.IsValid, string.Join("\n", outcome.Errors));
        return outcome.Valid;
    }

    /// <summary>A runtime over attributes.yaml plus <paramref name="files"/>; fails the test on any compile diagnostic.</summary>
    public static MixerRuntime Runtime(AdapterContext context, params string[] files)
    {
        var runtime = new MixerRuntime(context);
        var diagnostics = runtime.Update(Load(["config/attributes.yaml", .. files]));
        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
        return runtime;
    }
}
