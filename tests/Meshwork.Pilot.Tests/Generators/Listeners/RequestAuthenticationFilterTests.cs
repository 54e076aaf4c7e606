using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.JwtAuthn.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Tests.Generators.Listeners;

/// <summary>RequestAuthentication → the inbound jwt_authn filter, as Istio's authn policy applier builds it.</summary>
public sealed class RequestAuthenticationFilterTests
{
    private static readonly ProxyNode Httpbin = RouteTestMesh.Proxy("httpbin", "127.0.0.10", "app=httpbin", ns: "foo", ports: "http=8000");
    private static readonly ProxyNode Sleep = RouteTestMesh.Proxy("sleep", "127.0.0.11", "app=sleep", ns: "foo", ports: "http=8000");

    private static readonly string Services =
        RouteTestMesh.Service("httpbin", ns: "foo", ports: "{number: 8000, name: http, protocol: HTTP}") +
        RouteTestMesh.Service("sleep", ns: "foo", ports: "{number: 8000, name: http, protocol: HTTP}");

    private static string Policy(string name, string ns, string selector, string issuer, string extra = "") => $$"""
        ---
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          {{selector}}
          jwtRules:
          - issuer: "{{issuer}}"
            jwks: '{"keys":[]}'
        {{extra}}
        """;

    private static HttpConnectionManager InboundManager(MeshSnapshot snapshot, ProxyNode proxy) =>
        new ListenerGenerator().Generate(snapshot, proxy, null)
            .Select(r => r.Resource.Unpack<Listener>())
            .Single(l => l.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound)
            .FilterChains.Single(c => c.FilterChainMatch.TransportProtocol == "raw_buffer").Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();

    [Fact]
    public void Generate_SelectedWorkload_JwtFilterFirstWithIstiosRequirement()
    {
        var snapshot = RouteTestMesh.Snapshot(Services + Policy("jwt-example", "foo", "selector: {matchLabels: {app: httpbin}}", "testing@secure.istio.io"), [Httpbin, Sleep]);

        var manager = InboundManager(snapshot, Httpbin);

        Assert.Equal(["istio.metadata_exchange", "envoy.filters.http.jwt_authn", "envoy.filters.http.fault", "envoy.filters.http.cors", "istio.stats", "envoy.filters.http.router"], manager.HttpFilters.Select(f => f.Name));
        var config = manager.HttpFilters[1].TypedConfig.Unpack<JwtAuthentication>();
        var provider = config.Providers["origins-0"];
        Assert.Equal("testing@secure.istio.io", provider.Issuer);
        Assert.Equal("""{"keys":[]}""", provider.LocalJwks.InlineString);
        Assert.Equal("payload", provider.PayloadInMetadata);
        Assert.Equal(["permission", "scope"], provider.NormalizePayloadInMetadata.SpaceDelimitedClaims);
        Assert.True(config.BypassCorsPreflight);
        var requires = Assert.Single(config.Rules).Requires;
        Assert.Equal(["origins-0", ""], requires.RequiresAny.Requirements.Select(r => r.ProviderName));
        Assert.NotNull(requires.RequiresAny.Requirements[1].AllowMissing);
        Assert.DoesNotContain("envoy.filters.http.jwt_authn", InboundManager(snapshot, Sleep).HttpFilters.Select(f => f.Name));
    }

    [Fact]
    public void Generate_NamespaceAndMeshPolicies_AllApplySortedByIssuer()
    {
        var yaml = Services
            + Policy("ns-wide", "foo", string.Empty, "b-issuer")
            + Policy("mesh-wide", "istio-system", string.Empty, "a-issuer")
            + Policy("other-ns", "bar", string.Empty, "c-issuer");
        var snapshot = RouteTestMesh.Snapshot(yaml, [Httpbin]);

        var config = InboundManager(snapshot, Httpbin).HttpFilters.Single(f => f.Name == "envoy.filters.http.jwt_authn").TypedConfig.Unpack<JwtAuthentication>();

        Assert.Equal(["a-issuer", "b-issuer"], new[] { config.Providers["origins-0"].Issuer, config.Providers["origins-1"].Issuer });
        // Several providers: any one of them, or each "it or nothing" (Istio's outer OR over an inner AND).
        var any = config.Rules[0].Requires.RequiresAny.Requirements;
        Assert.Equal(["origins-0", "origins-1"], any.Take(2).Select(r => r.ProviderName));
        Assert.Equal(2, any[2].RequiresAll.Requirements.Count);
    }

    [Fact]
    public void Generate_JwksUri_UsesWhatMeshdFetchedElseAKeyNobodyHolds()
    {
        var yaml = Services + """
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: remote, namespace: foo}
            spec:
              jwtRules:
              - issuer: "testing@secure.istio.io"
                jwksUri: "http://127.0.0.1:1/jwks.json"
                fromHeaders: [{name: x-jwt-assertion, prefix: "Istio "}]
                fromParams: [my_token]
                outputPayloadToHeader: x-jwt-payload
                outputClaimToHeaders: [{header: x-jwt-sub, claim: sub}]
                forwardOriginalToken: true
            """;
        var unfetched = RouteTestMesh.Snapshot(yaml, [Httpbin]);
        var fetched = unfetched with { Jwks = new Dictionary<string, string> { ["http://127.0.0.1:1/jwks.json"] = """{"keys":["fetched"]}""" } };

        var before = InboundManager(unfetched, Httpbin).HttpFilters.Single(f => f.Name == "envoy.filters.http.jwt_authn").TypedConfig.Unpack<JwtAuthentication>().Providers["origins-0"];
        var after = InboundManager(fetched, Httpbin).HttpFilters.Single(f => f.Name == "envoy.filters.http.jwt_authn").TypedConfig.Unpack<JwtAuthentication>().Providers["origins-0"];

        Assert.Equal(RequestAuthenticationFilter.UnreachableJwks, before.LocalJwks.InlineString);
        Assert.Equal("""{"keys":["fetched"]}""", after.LocalJwks.InlineString);
        Assert.Equal(("x-jwt-assertion", "Istio "), (after.FromHeaders[0].Name, after.FromHeaders[0].ValuePrefix));
        Assert.Equal(["my_token"], after.FromParams);
        Assert.Equal("x-jwt-payload", after.ForwardPayloadHeader);
        Assert.Equal(("x-jwt-sub", "sub"), (after.ClaimToHeaders[0].HeaderName, after.ClaimToHeaders[0].ClaimName));
        Assert.True(after.Forward);
    }

    [Fact]
    public void Concerns_RequestAuthenticationChange_PushesSidecarListeners()
    {
        var snapshot = RouteTestMesh.Snapshot(Services, [Httpbin]);

        var concerned = new ListenerGenerator().Concerns(PushRequest.ForConfig(["RequestAuthentication/foo/jwt-example"], DateTimeOffset.UnixEpoch), Httpbin, snapshot);

        Assert.True(concerned);
    }
}
