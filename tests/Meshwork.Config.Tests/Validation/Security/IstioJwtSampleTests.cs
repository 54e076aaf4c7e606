using System.Text;
using System.Text.Json;
using Meshwork.Config.Security;
using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

/// <summary>Istio's JWT tasks, with the issuer, keys and tokens from Istio's own samples (security/jwt).</summary>
public sealed class IstioJwtSampleTests
{
    private static string Jwks => File.ReadAllText(Path.Combine(RepoPaths.IstioSamples, "security/jwt/jwks.json")).Trim();

    private static JsonElement Claims(string token)
    {
        var payload = File.ReadAllText(Path.Combine(RepoPaths.IstioSamples, $"security/jwt/{token}")).Trim().Split('.')[1];
        var padded = payload.Replace('-', '+').Replace('_', '/').PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(padded))).RootElement;
    }

    [Fact]
    public void Validate_RequestAuthenticationWithSampleJwks_IsValidAndBindsTheKeySet()
    {
        var yaml = $"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: jwt-example
              namespace: foo
            spec:
              selector:
                matchLabels:
                  app: httpbin
              jwtRules:
              - issuer: testing@secure.istio.io
                jwks: '{Jwks}'
                outputClaimToHeaders:
                - header: x-jwt-groups
                  claim: groups
            """;

        Validate.Valid(yaml);
        var spec = Validate.Yaml(yaml).Resources[0].SpecAs<RequestAuthentication>();
        Assert.Equal(Jwks, spec.JwtRules[0].Jwks);
        Assert.Empty(Validate.Warnings(yaml));
    }

    [Fact]
    public void Validate_RequestAuthenticationWithTruncatedSampleJwks_Reports()
    {
        var truncated = Jwks[..^2];

        var errors = Validate.Errors($"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: jwt-example
            spec:
              jwtRules:
              - issuer: testing@secure.istio.io
                jwks: '{truncated}'
            """);

        var error = Assert.Single(errors);
        Assert.StartsWith("test.yaml:8: RequestAuthentication default/jwt-example: spec.jwtRules[0].jwks: jwks parse error: invalid JSON", error);
    }

    [Fact]
    public void Validate_AuthorizationPolicyOnDemoTokenPrincipal_IsValid()
    {
        var claims = Claims("demo.jwt");
        var principal = $"{claims.GetProperty("iss").GetString()}/{claims.GetProperty("sub").GetString()}";

        Validate.Valid($"""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: require-jwt
              namespace: foo
            spec:
              selector:
                matchLabels:
                  app: httpbin
              action: ALLOW
              rules:
              - from:
                - source:
                    requestPrincipals: ["{principal}"]
            """);
        Assert.Equal("testing@secure.istio.io/testing@secure.istio.io", principal);
    }

    [Fact]
    public void Validate_AuthorizationPolicyOnGroupsClaim_IsValid()
    {
        var group = Claims("groups-scope.jwt").GetProperty("groups")[0].GetString();

        Validate.Valid($"""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: require-jwt
              namespace: foo
            spec:
              selector:
                matchLabels:
                  app: httpbin
              action: ALLOW
              rules:
              - from:
                - source:
                    requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]
                when:
                - key: request.auth.claims[groups]
                  values: ["{group}"]
            """);
    }

    [Fact]
    public void Validate_AuthorizationPolicyOnClaimWithoutName_Reports()
    {
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: require-jwt
              namespace: foo
            spec:
              rules:
              - when:
                - key: request.auth.claims[]
                  values: ["group1"]
                - key: request.auth.claims
                  notValues: ["group2"]
            """);

        Assert.Equal(
        [
            "test.yaml:9: AuthorizationPolicy foo/require-jwt: spec.rules[0].when[0].key: bad key (request.auth.claims[]): should have format a[b]",
            "test.yaml:11: AuthorizationPolicy foo/require-jwt: spec.rules[0].when[1].key: bad key (request.auth.claims): should have format a[b]",
        ], errors);
    }
}
