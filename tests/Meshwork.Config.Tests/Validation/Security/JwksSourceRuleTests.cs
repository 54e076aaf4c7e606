using Meshwork.Config.Tests.Support;

namespace Meshwork.Config.Tests.Validation.Security;

public sealed class JwksSourceRuleTests
{
    private static string Spec(string jwtRule) => $"""
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata:
          name: jwks
        spec:
          jwtRules:
          - issuer: example.com
        {jwtRule}
        """;

    [Theory]
    [InlineData("ftp://example.com/jwks", "URI scheme \"ftp\" is not supported, expected http or https")]
    [InlineData("example.com/jwks.json", "URI scheme \"\" is not supported, expected http or https")]
    [InlineData(@"hTPp\\\blah", "URI scheme \"\" is not supported, expected http or https")]
    [InlineData("http://example.com:port/jwks", "parse \"http://example.com:port/jwks\": invalid port \":port\" after host")]
    [InlineData("https://exa mple.com/jwks", "parse \"https://exa mple.com/jwks\": invalid character \" \" in host name")]
    [InlineData("https://[::1/jwks", "parse \"https://[::1/jwks\": missing ']' in host")]
    [InlineData("://example.com", "parse \"://example.com\": missing protocol scheme")]
    [InlineData("https://example.com/%zz", "parse \"https://example.com/%zz\": invalid URL escape \"%zz\"")]
    public void Check_BadJwksUri_Reports(string uri, string message)
    {
        var errors = Validate.Errors(Spec($"    jwksUri: '{uri}'"));

        Assert.Equal([$"test.yaml:8: RequestAuthentication default/jwks: spec.jwtRules[0].jwksUri: {message}"], errors);
    }

    [Theory]
    [InlineData("https://example.com/.well-known/jwks.json")]
    [InlineData("http://example.com:8080/jwks")]
    [InlineData("HTTPS://[2001:db8::1]:8443/keys?x=1")]
    [InlineData("https://user:pass@example.com/jwks")]
    public void Check_GoodJwksUri_IsValid(string uri) => Validate.Valid(Spec($"    jwksUri: '{uri}'"));

    [Fact]
    public void Check_InlineJwksFromIstioSample_IsValid()
    {
        var jwks = File.ReadAllText(Path.Combine(RepoPaths.IstioSamples, "security/jwt/jwks.json")).Trim();

        Validate.Valid(Spec($"    jwks: '{jwks}'"));
    }

    [Theory]
    [InlineData("{", "jwks parse error: invalid JSON at line 1, byte 2")]
    [InlineData("[]", "jwks parse error: expected a JSON object (a key set or a key), got an array")]
    [InlineData("""{"keys": {}}""", "jwks parse error: \"keys\" must be an array, got an object")]
    [InlineData("""{"keys": [{"e": "AQAB"}]}""", "jwks parse error: keys[0]: required field \"kty\" is missing")]
    [InlineData("""{"keys": [{"kty": "RSA", "e": "AQAB"}]}""", "jwks parse error: keys[0]: required field \"n\" is missing")]
    [InlineData("""{"keys": [{"kty": "RSA", "n": "x!y", "e": "AQAB"}]}""", "jwks parse error: keys[0]: field \"n\" must be a base64url-encoded string")]
    [InlineData("""{"keys": [{"kty": "EC", "crv": "P-192", "x": "AA", "y": "AA"}]}""", "jwks parse error: keys[0]: unsupported \"crv\" value \"P-192\", expected P-256, P-384, P-521")]
    [InlineData("""{"keys": [{"kty": "DSA"}]}""", "jwks parse error: keys[0]: unsupported \"kty\" value \"DSA\", expected RSA, EC, oct or OKP")]
    public void Check_BadInlineJwks_Reports(string jwks, string message)
    {
        var errors = Validate.Errors(Spec($"    jwks: '{jwks}'"));

        Assert.Equal([$"test.yaml:8: RequestAuthentication default/jwks: spec.jwtRules[0].jwks: {message}"], errors);
    }

    [Theory]
    [InlineData("""{"keys": []}""")]
    [InlineData("""{"kty": "oct", "k": "c2VjcmV0"}""")]
    [InlineData("""{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}""")]
    public void Check_GoodInlineJwks_IsValid(string jwks) => Validate.Valid(Spec($"    jwks: '{jwks}'"));

    [Fact]
    public void Check_JwksAndJwksUri_WarnsThatUriIsIgnored()
    {
        var yaml = Spec("""
                jwksUri: https://example.com/jwks.json
                jwks: '{"keys": []}'
            """);

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal(["test.yaml:8: warning: RequestAuthentication default/jwks: spec.jwtRules[0].jwksUri: ignored because jwks is set; use only one of them"], Validate.Warnings(yaml));
    }

    [Theory]
    [InlineData("0s", "duration must be greater than 1ms")]
    [InlineData("1500us", "only durations to ms precision are supported")]
    public void Check_BadTimeout_Reports(string timeout, string message)
    {
        var errors = Validate.Errors(Spec($"    timeout: {timeout}"));

        Assert.Equal([$"test.yaml:8: RequestAuthentication default/jwks: spec.jwtRules[0].timeout: {message}"], errors);
    }

    [Fact]
    public void Check_TimeoutNotADuration_ReportedByBinder()
    {
        // Istio's CRD test "bad-timeout".
        var errors = Validate.Errors(Spec("    timeout: apple"));

        Assert.Equal(["test.yaml:8: RequestAuthentication default/jwks: spec.jwtRules[0].timeout: expected a duration such as 1.5s or 100ms, got a string apple"], errors);
    }
}
