using Meshwork.Config.Mesh;
using Meshwork.Config.Security;
using Meshwork.Config.Values;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Tests.Generators;

namespace Meshwork.Pilot.Tests.Model;

/// <summary>Istio's PeerAuthentication precedence (ComposePeerAuthentication) as <see cref="PeerAuthentications.For"/> resolves it.</summary>
public class PeerAuthenticationsTests
{
    private static readonly ValueMap<string, string> Reviews = new([KeyValuePair.Create("app", "reviews"), KeyValuePair.Create("version", "v1")]);

    private static string Policy(string name, string ns, string mode, string selector = "", string created = "", string ports = "") => $$"""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: {{name}}, namespace: {{ns}}{{(created.Length > 0 ? $", creationTimestamp: \"{created}\"" : string.Empty)}}}
        spec:
          {{(selector.Length > 0 ? $"selector: {{matchLabels: {{{selector}}}}}" : string.Empty)}}
          mtls: {mode: {{mode}}}
          {{(ports.Length > 0 ? $"portLevelMtls: {{{ports}}}" : string.Empty)}}
        ---

        """;

    private static EffectiveMtls For(string yaml, string ns = "default", MeshConfig? mesh = null) =>
        PeerAuthentications.For(TestMesh.Snapshot(yaml + TestMesh.Service("reviews", "default"), [], mesh), ns, Reviews);

    [Fact]
    public void For_NoPolicy_IsPermissive()
    {
        Assert.Equal(MutualTlsMode.Permissive, For(string.Empty).ForPort(9080));
    }

    [Fact]
    public void For_MeshStrict_AppliesToEveryNamespace()
    {
        Assert.Equal(MutualTlsMode.Strict, For(Policy("default", "istio-system", "STRICT"), "other").Mode);
    }

    [Fact]
    public void For_CustomRootNamespace_IsTheMeshLevel()
    {
        var mesh = MeshConfig.Default with { RootNamespace = "mesh-root" };
        Assert.Equal(MutualTlsMode.Permissive, For(Policy("default", "istio-system", "STRICT"), mesh: mesh).Mode);
        Assert.Equal(MutualTlsMode.Strict, For(Policy("default", "mesh-root", "STRICT"), mesh: mesh).Mode);
    }

    [Fact]
    public void For_NamespaceOverMesh_AndUnsetInherits()
    {
        var mesh = Policy("default", "istio-system", "STRICT");
        Assert.Equal(MutualTlsMode.Disable, For(mesh + Policy("default", "default", "DISABLE")).Mode);
        Assert.Equal(MutualTlsMode.Strict, For(mesh + Policy("default", "default", "UNSET")).Mode);
    }

    [Fact]
    public void For_WorkloadOverNamespace_OnlyWhenTheSelectorMatches()
    {
        var yaml = Policy("default", "default", "STRICT") + Policy("reviews", "default", "DISABLE", "app: reviews");
        Assert.Equal(MutualTlsMode.Disable, For(yaml).Mode);
        Assert.Equal(MutualTlsMode.Strict, For(Policy("default", "default", "STRICT") + Policy("ratings", "default", "DISABLE", "app: ratings")).Mode);
    }

    [Fact]
    public void For_SelectorPolicyInRootNamespace_IsIgnoredForOtherNamespaces()
    {
        Assert.Equal(MutualTlsMode.Permissive, For(Policy("reviews", "istio-system", "STRICT", "app: reviews")).Mode);
    }

    [Fact]
    public void For_WorkloadPolicyOfAnotherNamespace_DoesNotApply()
    {
        Assert.Equal(MutualTlsMode.Permissive, For(Policy("reviews", "team", "STRICT", "app: reviews")).Mode);
    }

    [Fact]
    public void For_SeveralAtOneLevel_TheOldestWins()
    {
        var yaml = Policy("newer", "default", "DISABLE", created: "2024-06-01T00:00:00Z") + Policy("older", "default", "STRICT", created: "2024-01-01T00:00:00Z");
        Assert.Equal(MutualTlsMode.Strict, For(yaml).Mode);
    }

    [Fact]
    public void For_SameCreationTime_TheFirstByNameDotNamespaceWins()
    {
        var yaml = Policy("b", "default", "DISABLE", "app: reviews", "2024-01-01T00:00:00Z") + Policy("a", "default", "STRICT", "app: reviews", "2024-01-01T00:00:00Z");
        Assert.Equal(MutualTlsMode.Strict, For(yaml).Mode);
    }

    [Fact]
    public void For_PortLevel_OverridesTheWorkloadAndUnsetPortInheritsIt()
    {
        var yaml = Policy("default", "istio-system", "DISABLE") + Policy("reviews", "default", "STRICT", "app: reviews", ports: "8080: {mode: DISABLE}, 9090: {mode: UNSET}");
        var mtls = For(yaml);
        Assert.Equal(MutualTlsMode.Disable, mtls.ForPort(8080));
        Assert.Equal(MutualTlsMode.Strict, mtls.ForPort(9090));
        Assert.Equal(MutualTlsMode.Strict, mtls.ForPort(9080));
    }
}
