using Meshwork.Config.Mesh;
using Meshwork.Config.Networking;
using Meshwork.Config.Values;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Tests.Generators;

namespace Meshwork.Pilot.Tests.Model;

public class DestinationRuleIndexTests
{
    private static readonly Meshwork.Pilot.Model.ProxyNode Client = TestMesh.Proxy("client-1", "client", "10.0.0.1", "app=client");

    private static AppliedDestinationRule? RuleFor(string rules, string service = "api", string serviceNs = "backend", TrafficDirection direction = TrafficDirection.Outbound, MeshConfig? mesh = null)
    {
        var snapshot = TestMesh.Snapshot(TestMesh.Service(service, serviceNs) + rules, [Client], mesh);
        var target = snapshot.Registry.Service(serviceNs, $"{service}.{serviceNs}.svc.cluster.local")!;
        return DestinationRuleIndex.Of(snapshot).For(Client, target, direction);
    }

    private static string Rule(string name, string ns, string host, string extra = "") => $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          host: "{{host}}"
        {{extra}}
        ---

        """;

    [Theory]
    [InlineData("reviews", "default", "reviews.default.svc.cluster.local")]
    [InlineData("reviews.other", "default", "reviews.other")]
    [InlineData("*.example.com", "default", "*.example.com")]
    [InlineData("*", "default", "*")]
    public void ResolveHost_ShortName_IsAServiceOfTheRulesNamespace(string host, string ns, string expected) =>
        Assert.Equal(expected, DestinationRuleIndex.ResolveHost(host, ns));

    [Fact]
    public void For_ShortHostInServiceNamespace_Applies() =>
        Assert.Equal("api", RuleFor(Rule("api", "backend", "api"))!.Source.Name);

    [Fact]
    public void For_ShortHostInOtherNamespace_DoesNotMatch() =>
        Assert.Null(RuleFor(Rule("api", "client", "api")));

    [Fact]
    public void For_ExactHostBeatsWildcard_InTheSameNamespace()
    {
        var rules = Rule("wide", "client", "*.svc.cluster.local") + Rule("exact", "client", "api.backend.svc.cluster.local");

        Assert.Equal("exact", RuleFor(rules)!.Source.Name);
    }

    [Fact]
    public void For_MostSpecificWildcard_Wins()
    {
        var rules = Rule("wide", "client", "*.local") + Rule("narrow", "client", "*.backend.svc.cluster.local");

        Assert.Equal("narrow", RuleFor(rules)!.Source.Name);
    }

    [Fact]
    public void For_ServiceNamespaceRuleExportedElsewhere_FallsBackToRoot()
    {
        var rules = Rule("api", "backend", "api", "  exportTo: [other]") + Rule("mesh", "istio-system", "*.local");

        Assert.Equal("mesh", RuleFor(rules)!.Source.Name);
    }

    [Fact]
    public void For_DefaultDestinationRuleExportToPrivate_HidesOtherNamespacesRules()
    {
        var mesh = new MeshConfig { DefaultDestinationRuleExportTo = ValueList.Of(".") };

        Assert.Null(RuleFor(Rule("api", "backend", "api"), mesh: mesh));
    }

    [Fact]
    public void For_SelectorMatchingProxy_WinsOutboundButNotInbound()
    {
        var rules = Rule("plain", "client", "api.backend.svc.cluster.local")
            + Rule("selected", "client", "api.backend.svc.cluster.local", "  workloadSelector:\n    matchLabels: {app: client}");

        Assert.Equal("selected", RuleFor(rules)!.Source.Name);
        Assert.Equal("plain", RuleFor(rules, direction: TrafficDirection.Inbound)!.Source.Name);
    }

    [Fact]
    public void For_SelectorInAnotherNamespace_NeverApplies()
    {
        var rules = Rule("selected", "backend", "api", "  workloadSelector:\n    matchLabels: {app: client}");

        Assert.Null(RuleFor(rules));
    }

    [Fact]
    public void For_TwoRulesForOneHost_MergeFirstPolicyAndAllSubsets()
    {
        var rules = Rule("a", "client", "api.backend.svc.cluster.local", "  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n  subsets: [{name: v1, labels: {v: '1'}}]")
            + Rule("b", "client", "api.backend.svc.cluster.local", "  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n  subsets: [{name: v1, labels: {v: x}}, {name: v2, labels: {v: '2'}}]");

        var rule = RuleFor(rules)!;

        Assert.Equal(SimpleLb.Random, rule.Rule.TrafficPolicy!.LoadBalancer!.Simple);
        Assert.Equal(["v1", "v2"], rule.Rule.Subsets.Select(s => s.Name));
        Assert.Equal("1", rule.Rule.Subsets[0].Labels["v"]);
    }
}
