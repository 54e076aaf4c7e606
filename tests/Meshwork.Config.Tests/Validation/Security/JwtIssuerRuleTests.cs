using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class JwtIssuerRuleTests
{
    [Fact]
    public void Check_NoIssuerNorJwksUri_Reports()
    {
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: no-issuer
            spec:
              jwtRules:
              - issuer: ""
                fromParams: [token]
            """);

        Assert.Equal(["test.yaml:7: RequestAuthentication default/no-issuer: spec.jwtRules[0]: issuer or jwksUri must be set"], errors);
    }

    [Fact]
    public void Check_JwksUriWithoutIssuer_IsValid()
    {
        Validate.Valid("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: uri-only
            spec:
              jwtRules:
              - jwksUri: https://example.com/.well-known/jwks.json
            """);
    }

    [Fact]
    public void Check_EmptyAudience_Reports()
    {
        // Istio's CRD test "empty-aud".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: empty-aud
            spec:
              jwtRules:
              - issuer: example
                audiences:
                - bookstore
                - ""
            """);

        Assert.Equal(["test.yaml:10: RequestAuthentication default/empty-aud: spec.jwtRules[0].audiences[1]: audience must not be empty"], errors);
    }

    [Fact]
    public void Check_NullJwtRule_ReportedByBinder()
    {
        // Istio's CRD test "no-issuer" (a null list item).
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: no-issuer
            spec:
              jwtRules:
              -
            """);

        Assert.Equal(["test.yaml:7: RequestAuthentication default/no-issuer: spec.jwtRules[0]: list items must not be null"], errors);
    }
}
