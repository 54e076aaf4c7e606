using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Runtime;
using Prometheus;

namespace Meshwork.Mixer.Tests.Runtime;

/// <summary>Compiling Mixer config: every sample compiles or names what it lacks, and bad config gets located errors.</summary>
public class SnapshotCompilerTests
{
    [Fact]
    public void Compile_EverySample_CompilesExceptWhatNeedsAnAdapterNotBuilt()
    {
        var files = Directory.GetFiles(Samples.Root, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Samples.Root, f))
            .Where(f => f != "config/attributes.yaml")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            using var runtime = new MixerRuntime(new AdapterContext { Metrics = Metrics.NewCustomRegistry(), Log = TextWriter.Null });
            var diagnostics = runtime.Update(Samples.Load("config/attributes.yaml", file));
            var unexpected = diagnostics.Where(d =>
                !d.Message.Contains("adapter \"kubernetesenv\" is not available", StringComparison.Ordinal)
                && !d.Message.Contains("not found in namespace", StringComparison.Ordinal));
            Assert.True(!unexpected.Any(), $"{file}:\n{string.Join("\n", unexpected)}");
        }
    }

    [Fact]
    public void Compile_MisspelledAttributeInMatch_IsLocatedError()
    {
        using var runtime = new MixerRuntime(new AdapterContext());
        var diagnostics = runtime.Update([
            .. Samples.Load("config/attributes.yaml"),
            .. Samples.Text("""
                apiVersion: config.istio.io/v1alpha2
                kind: handler
                metadata: {name: deny, namespace: mixer}
                spec: {compiledAdapter: denier}
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: instance
                metadata: {name: nothing, namespace: mixer}
                spec: {compiledTemplate: checknothing}
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: rule
                metadata:
                  name: denyreviewsv3
                  namespace: mixer
                spec:
                  match: destination.lables["app"] == "ratings"
                  actions:
                  - {handler: deny, instances: [nothing]}
                """, "deny.yaml"),
        ]);

        var d = Assert.Single(diagnostics);
        Assert.Equal("deny.yaml:17: rule mixer/denyreviewsv3: spec.match: unknown attribute destination.lables", d.ToString());
        Assert.Empty(runtime.Snapshot.Rules);
    }

    [Theory]
    [InlineData("compiledAdapter: denier\n  params: {status: {code: 99}}", "spec.params.status.code", "expected a google.rpc.Code (0-16), got 99")]
    [InlineData("compiledAdapter: listchecker\n  params: {entryType: IP_ADDRESSES, overrides: [\"10.0.0.0/33\"]}", "spec.params.overrides[0]", "could not parse \"10.0.0.0/33\"")]
    [InlineData("compiledAdapter: memquota\n  params: {quotas: [{name: q, maxAmount: 1, validDuration: fast}]}", "spec.params.quotas[0].validDuration", "expected a duration")]
    [InlineData("compiledAdapter: nosuch", "spec.compiledAdapter", "adapter \"nosuch\" is not available")]
    [InlineData("compiledAdapter: listchecker\n  params: {providerUrl: \"http://lists\", refreshInterval: 10s, ttl: 5s}", "spec.params.ttl", "ttl must be > refreshInterval")]
    public void Compile_BadHandlerParams_NameTheField(string spec, string path, string message)
    {
        using var runtime = new MixerRuntime(new AdapterContext());
        var diagnostics = runtime.Update(Samples.Text($"apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {{name: h}}\nspec:\n  {spec}\n"));
        var d = Assert.Single(diagnostics);
        Assert.Equal(path, d.Path);
        Assert.Contains(message, d.Message);
        Assert.Equal("handler default/h", d.Resource);
    }

    [Fact]
    public void Compile_InstanceOfWrongVarietyForHandler_IsRejected()
    {
        using var runtime = new MixerRuntime(new AdapterContext());
        var diagnostics = runtime.Update([
            .. Samples.Load("config/attributes.yaml"),
            .. Samples.Text("""
                apiVersion: config.istio.io/v1alpha2
                kind: handler
                metadata: {name: deny}
                spec: {compiledAdapter: denier}
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: instance
                metadata: {name: q}
                spec:
                  compiledTemplate: quota
                  params: {dimensions: {path: request.path | "/"}}
                ---
                apiVersion: config.istio.io/v1alpha2
                kind: rule
                metadata: {name: r}
                spec:
                  actions:
                  - {handler: deny, instances: [q]}
                """),
        ]);
        Assert.Contains("does not accept quota instances", Assert.Single(diagnostics).Message);
    }
}
