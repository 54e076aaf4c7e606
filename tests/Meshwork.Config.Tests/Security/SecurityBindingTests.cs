using ServerTlsSettings = Meshwork.Config.Networking.ServerTlsSettings;
using ServerTlsMode = Meshwork.Config.Networking.ServerTlsMode;
using Meshwork.Config.Security;
using Meshwork.Config.Tests.Support;
using Meshwork.Config.Types;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Security;

public sealed class SecurityBindingTests
{
    private static ValueMap<TKey, TValue> Map<TKey, TValue>(params (TKey Key, TValue Value)[] entries)
        where TKey : notnull => new(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));

    private static T Bind<T>(string yaml)
        where T : class
    {
        var outcome = Validate.Yaml(yaml);
        Assert.Empty(outcome.Errors.Select(e => e.ToString()));
        return Assert.Single(outcome.Resources).SpecAs<T>();
    }

    [Fact]
    public void Bind_PeerAuthenticationWithEveryField_RoundTrips()
    {
        var spec = Bind<PeerAuthentication>("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: finance
              namespace: foo
            spec:
              selector:
                matchLabels:
                  app: finance
              mtls:
                mode: STRICT
              portLevelMtls:
                8080:
                  mode: DISABLE
                "9090":
                  mode: PERMISSIVE
              port_level_tls:
                8443:
                  mode: SIMPLE
                  credentialName: finance-cert
            """);

        var expected = new PeerAuthentication
        {
            Selector = new WorkloadSelector { MatchLabels = Map(("app", "finance")) },
            Mtls = new MutualTls { Mode = MutualTlsMode.Strict },
            PortLevelMtls = Map((8080u, new MutualTls { Mode = MutualTlsMode.Disable }), (9090u, new MutualTls { Mode = MutualTlsMode.Permissive })),
            PortLevelTls = Map((8443u, new ServerTlsSettings { Mode = ServerTlsMode.Simple, CredentialName = "finance-cert" })),
        };
        Assert.Equal(expected, spec);
    }

    [Fact]
    public void Bind_RequestAuthenticationWithEveryField_RoundTrips()
    {
        var spec = Bind<RequestAuthentication>("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: full
            spec:
              targetRefs:
              - kind: Service
                name: httpbin
              jwtRules:
              - issuer: example.com
                audiences: [bookstore_web.apps.example.com]
                jwksUri: https://example.com/.well-known/jwks.json
                jwks: '{"keys": []}'
                fromHeaders:
                - name: x-jwt-assertion
                  prefix: "Bearer "
                fromParams: [my_token]
                fromCookies: [session]
                outputPayloadToHeader: x-jwt-payload
                forwardOriginalToken: true
                outputClaimToHeaders:
                - header: x-sub
                  claim: sub
                timeout: 1.5s
                spaceDelimitedClaims: [custom_scope]
            """);

        var rule = new JwtRule
        {
            Issuer = "example.com",
            Audiences = ValueList.Of("bookstore_web.apps.example.com"),
            JwksUri = "https://example.com/.well-known/jwks.json",
            Jwks = """{"keys": []}""",
            FromHeaders = ValueList.Of(new JwtHeader { Name = "x-jwt-assertion", Prefix = "Bearer " }),
            FromParams = ValueList.Of("my_token"),
            FromCookies = ValueList.Of("session"),
            OutputPayloadToHeader = "x-jwt-payload",
            ForwardOriginalToken = true,
            OutputClaimToHeaders = ValueList.Of(new ClaimToHeader { Header = "x-sub", Claim = "sub" }),
            Timeout = TimeSpan.FromMilliseconds(1500),
            SpaceDelimitedClaims = ValueList.Of("custom_scope"),
        };
        var expected = new RequestAuthentication
        {
            TargetRefs = ValueList.Of(new PolicyTargetReference { Kind = "Service", Name = "httpbin" }),
            JwtRules = ValueList.Of(rule),
        };
        Assert.Equal(expected, spec);
    }

    [Fact]
    public void Bind_RequestAuthenticationSelectorAndTargetRef_BindsBoth()
    {
        var outcome = Validate.Yaml("""
            apiVersion: security.istio.io/v1beta1
            kind: RequestAuthentication
            metadata:
              name: both
            spec:
              selector:
                matchLabels:
                  app: a
              targetRef:
                group: gateway.networking.k8s.io
                kind: Gateway
                name: gw
            """);

        var spec = Assert.Single(outcome.Resources).SpecAs<RequestAuthentication>();
        Assert.Equal(new PolicyTargetReference { Group = "gateway.networking.k8s.io", Kind = "Gateway", Name = "gw" }, spec.TargetRef);
        Assert.Equal(Map(("app", "a")), spec.Selector!.MatchLabels);
    }

    [Fact]
    public void Bind_AuthorizationPolicyWithEveryField_RoundTrips()
    {
        var spec = Bind<AuthorizationPolicy>("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: ext-authz
              namespace: istio-system
            spec:
              targetRef:
                group: gateway.networking.k8s.io
                kind: Gateway
                name: ingress
              action: CUSTOM
              provider:
                name: my-custom-authz
              rules:
              - from:
                - source:
                    ipBlocks: ["10.0.0.0/8"]
                    notIpBlocks: ["10.1.0.0/16"]
                    remoteIpBlocks: ["203.0.113.4"]
                    notRemoteIpBlocks: ["203.0.113.5"]
                to:
                - operation:
                    hosts: ["*.example.com"]
                    notHosts: [admin.example.com]
                    ports: ["8080"]
                    notPorts: ["9090"]
                    methods: [GET]
                    notMethods: [DELETE]
                    paths: ["/admin/*"]
                    notPaths: ["/admin/health"]
                when:
                - key: request.headers[x-tenant]
                  values: [a]
                  notValues: [b]
            """);

        var expected = new AuthorizationPolicy
        {
            TargetRef = new PolicyTargetReference { Group = "gateway.networking.k8s.io", Kind = "Gateway", Name = "ingress" },
            Action = AuthorizationAction.Custom,
            Provider = new ExtensionProvider { Name = "my-custom-authz" },
            Rules = ValueList.Of(new AuthorizationRule
            {
                From = ValueList.Of(new RuleFrom
                {
                    Source = new Source
                    {
                        IpBlocks = ValueList.Of("10.0.0.0/8"),
                        NotIpBlocks = ValueList.Of("10.1.0.0/16"),
                        RemoteIpBlocks = ValueList.Of("203.0.113.4"),
                        NotRemoteIpBlocks = ValueList.Of("203.0.113.5"),
                    },
                }),
                To = ValueList.Of(new RuleTo
                {
                    Operation = new Operation
                    {
                        Hosts = ValueList.Of("*.example.com"),
                        NotHosts = ValueList.Of("admin.example.com"),
                        Ports = ValueList.Of("8080"),
                        NotPorts = ValueList.Of("9090"),
                        Methods = ValueList.Of("GET"),
                        NotMethods = ValueList.Of("DELETE"),
                        Paths = ValueList.Of("/admin/*"),
                        NotPaths = ValueList.Of("/admin/health"),
                    },
                }),
                When = ValueList.Of(new Condition { Key = "request.headers[x-tenant]", Values = ValueList.Of("a"), NotValues = ValueList.Of("b") }),
            }),
        };
        Assert.Equal(expected, spec);
    }

    [Fact]
    public void Bind_AuthorizationPolicyIdentitySources_RoundTrips()
    {
        var spec = Bind<AuthorizationPolicy>("""
            apiVersion: security.istio.io/v1beta1
            kind: AuthorizationPolicy
            metadata:
              name: identities
            spec:
              selector:
                matchLabels:
                  app: httpbin
              action: DENY
              rules:
              - from:
                - source:
                    principals: [cluster.local/ns/default/sa/sleep]
                    notPrincipals: [cluster.local/ns/default/sa/bad]
                    requestPrincipals: ["testing@secure.istio.io/*"]
                    notRequestPrincipals: ["evil/*"]
                    namespaces: [test]
                    notNamespaces: [dev]
                - source:
                    serviceAccounts: [default/sleep]
                    notServiceAccounts: [default/bad]
                to:
                - operation:
                    ports: ["8000"]
            """);

        var sources = spec.Rules[0].From.Select(f => f.Source).ToArray();
        Assert.Equal(AuthorizationAction.Deny, spec.Action);
        Assert.Equal(
            new Source
            {
                Principals = ValueList.Of("cluster.local/ns/default/sa/sleep"),
                NotPrincipals = ValueList.Of("cluster.local/ns/default/sa/bad"),
                RequestPrincipals = ValueList.Of("testing@secure.istio.io/*"),
                NotRequestPrincipals = ValueList.Of("evil/*"),
                Namespaces = ValueList.Of("test"),
                NotNamespaces = ValueList.Of("dev"),
            },
            sources[0]);
        Assert.Equal(new Source { ServiceAccounts = ValueList.Of("default/sleep"), NotServiceAccounts = ValueList.Of("default/bad") }, sources[1]);
    }

    [Fact]
    public void Bind_AuthorizationPolicyEmptySpec_BindsDefaults()
    {
        var spec = Bind<AuthorizationPolicy>("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: allow-nothing
              namespace: foo
            spec: {}
            """);

        Assert.Equal(new AuthorizationPolicy(), spec);
    }
}
