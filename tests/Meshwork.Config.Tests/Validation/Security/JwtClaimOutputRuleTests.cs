using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class JwtClaimOutputRuleTests
{
    [Fact]
    public void Check_ClaimToHeaderProblems_ReportsEach()
    {
        // Istio's CRD tests "invalid-claim-to-header-claim-empty", "-header-empty", "-bad-header".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: claims
            spec:
              jwtRules:
              - issuer: example
                outputClaimToHeaders:
                - claim: ""
                  header: h
                - claim: x
                  header: ""
                - claim: x
                  header: ":authority"
                - claim: x
                  header: x_underscore
                - claim: groups
                  header: x-groups
            """);

        Assert.Equal(
        [
            "test.yaml:9: RequestAuthentication default/claims: spec.jwtRules[0].outputClaimToHeaders[0].claim: claim and header must both be non-empty",
            "test.yaml:12: RequestAuthentication default/claims: spec.jwtRules[0].outputClaimToHeaders[1].header: claim and header must both be non-empty",
            "test.yaml:14: RequestAuthentication default/claims: spec.jwtRules[0].outputClaimToHeaders[2].header: header name :authority is not a valid header name (letters, digits and '-' only)",
            "test.yaml:16: RequestAuthentication default/claims: spec.jwtRules[0].outputClaimToHeaders[3].header: header name x_underscore is not a valid header name (letters, digits and '-' only)",
        ], errors);
    }

    [Fact]
    public void Check_EmptySpaceDelimitedClaim_Reports()
    {
        // Istio's CRD test "invalid-space-delimited-claims".
        var errors = Validate.Errors("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: claims
            spec:
              jwtRules:
              - issuer: example
                spaceDelimitedClaims:
                - custom_scope
                - ""
            """);

        Assert.Equal(["test.yaml:10: RequestAuthentication default/claims: spec.jwtRules[0].spaceDelimitedClaims[1]: claim name must not be empty"], errors);
    }
}
