using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class JwtTokenLocationRuleTests
{
    [Fact]
    public void Check_EmptyLocations_ReportsEach()
    {
        // Istio's CRD tests "invalid-from-headers-no-name", "-empty-name", "invalid-from-params", "invalid-from-cookies".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: locations
            spec:
              jwtRules:
              - issuer: example
                fromHeaders:
                - prefix: baz
                - name: ""
                  prefix: baz
                - name: x-jwt
                fromParams:
                - ""
                fromCookies:
                - session
                - ""
            """);

        Assert.Equal(
        [
            "test.yaml:9: RequestAuthentication default/locations: spec.jwtRules[0].fromHeaders[0].name: location header name must not be empty",
            "test.yaml:10: RequestAuthentication default/locations: spec.jwtRules[0].fromHeaders[1].name: location header name must not be empty",
            "test.yaml:14: RequestAuthentication default/locations: spec.jwtRules[0].fromParams[0]: location query parameter must not be empty",
            "test.yaml:17: RequestAuthentication default/locations: spec.jwtRules[0].fromCookies[1]: cookie name must not be empty",
        ], errors);
    }

    [Fact]
    public void Check_HeaderParamAndCookie_IsValid()
    {
        Validate.Valid("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: locations
            spec:
              jwtRules:
              - issuer: example
                fromHeaders:
                - name: x-jwt-assertion
                  prefix: "Bearer "
                fromParams: [my_token]
                fromCookies: [session]
            """);
    }
}
