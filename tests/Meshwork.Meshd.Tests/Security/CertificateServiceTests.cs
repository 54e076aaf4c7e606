using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Istio.V1.Auth;

namespace Meshwork.Meshd.Tests.Security;

/// <summary>One meshd for the CreateCertificate tests that share the self-signed CA it creates.</summary>
public sealed class CaMeshd : IAsyncLifetime
{
    public MeshdProcess Meshd { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Meshd = MeshdProcess.Start();
        await Meshd.WaitReadyAsync();
    }

    public async Task DisposeAsync() => await Meshd.DisposeAsync();
}

/// <summary>
/// CreateCertificate on meshd's secure address, called by a gRPC client over TLS that trusts only the
/// mesh root: who may get a certificate, for which identity, for how long.
/// </summary>
public sealed class CertificateServiceTests(CaMeshd fixture) : IClassFixture<CaMeshd>
{
    private const string Catalog = "spiffe://cluster.local/ns/shop/sa/catalog";
    private MeshdProcess Meshd => fixture.Meshd;

    [Fact]
    public async Task CreateCertificate_TokenFromMeshctl_IssuesLeafFirstChainEndingAtTheRoot_ValidFor24Hours()
    {
        var (exit, token) = await MeshdProcess.RunToolAsync("meshctl.dll", "token", "create", "--ca-dir", Meshd.CaDirectory, "--namespace", "shop", "--service-account", "catalog");
        Assert.True(exit == 0, token);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var response = await CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, Catalog), bearer: token.Trim());
        var issuedAt = DateTime.UtcNow;

        var chain = Parse(response);
        Assert.Equal(2, chain.Count);
        Assert.Equal(Roots(Meshd.CaDirectory)[0].Thumbprint, chain[^1].Thumbprint);
        Assert.True(Verifies(chain, Roots(Meshd.CaDirectory)));
        Assert.Contains(Catalog, chain[0].Extensions["2.5.29.17"]!.Format(false));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), chain[0].PublicKey.ExportSubjectPublicKeyInfo());
        Assert.InRange(chain[0].NotAfter.ToUniversalTime() - issuedAt, TimeSpan.FromHours(24) - TimeSpan.FromMinutes(2), TimeSpan.FromHours(24) + TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task Metrics_IssuedAndRefusedCalls_AreCountedUnderIstiosNames()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, Catalog), bearer: Mint(Meshd.CaDirectory, Claims()));
        await Assert.ThrowsAsync<RpcException>(() => CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, Catalog)));

        var metrics = await Meshd.Http.GetStringAsync(Meshd.Monitoring("/metrics"));

        double Value(string name) => double.Parse(metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Value("citadel_server_csr_count") >= 2);
        Assert.True(Value("citadel_server_success_cert_issuance_count") >= 1);
        Assert.True(Value("citadel_server_authentication_failure_count") >= 1);
        Assert.True(Value("citadel_server_root_cert_expiry_timestamp") > DateTimeOffset.UtcNow.AddYears(9).ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData(3600L, 3600L)]
    [InlineData(400L * 24 * 3600, 90L * 24 * 3600)]
    public async Task CreateCertificate_ValidityDuration_IsHonouredUpToTheCap(long requested, long expected)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var response = await CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, Catalog), bearer: Mint(Meshd.CaDirectory, Claims()), validitySeconds: requested);
        var issuedAt = DateTime.UtcNow;

        var leaf = Parse(response)[0];
        var expectedTtl = TimeSpan.FromSeconds(expected);
        Assert.InRange(leaf.NotAfter.ToUniversalTime() - issuedAt, expectedTtl - TimeSpan.FromMinutes(2), expectedTtl + TimeSpan.FromMinutes(2));
    }

    public static TheoryData<string, string> RefusedTokens() => new()
    {
        { "wrong-audience", "audience is not istio-ca" },
        { "expired", "expired at" },
        { "other-ca", "signature does not verify" },
        { "alg-none", "bootstrap token refused" },
        { "not-bearer", "not 'Bearer <token>'" },
        { "none", "no client certificate and no authorization: Bearer token" },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task CreateCertificate_WithoutAValidCredential_IsUnauthenticatedWithTheReason(string credential, string reason)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var other = Directory.CreateTempSubdirectory("meshd-other-ca-").FullName;
        try
        {
            Citadel.CaStore.LoadOrCreate(other, "cluster.local", Citadel.CaKeyType.EcdsaP256, now).Dispose();
            var (bearer, header) = credential switch
            {
                "wrong-audience" => (Mint(Meshd.CaDirectory, Claims(audience: "other")), null),
                "expired" => (Mint(Meshd.CaDirectory, Claims(issuedAt: now.AddHours(-2), expires: now.AddHours(-1))), null),
                "other-ca" => (Mint(other, Claims()), null),
                "alg-none" => (Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Encode(Claims()) + ".", null),
                "not-bearer" => (null, "Basic c2hvcDpjYXRhbG9n"),
                _ => ((string?)null, (string?)null),
            };

            var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, Catalog), bearer, authorization: header));

            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            Assert.Contains(reason, error.Status.Detail);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task CreateCertificate_CsrForAnotherServiceAccount_IsPermissionDenied()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, "spiffe://cluster.local/ns/shop/sa/payments"), bearer: Mint(Meshd.CaDirectory, Claims())));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("not the caller's identity spiffe://cluster.local/ns/shop/sa/catalog", error.Status.Detail);
    }

    [Fact]
    public async Task CreateCertificate_CsrThatDoesNotParse_IsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync(Meshd, Roots(Meshd.CaDirectory), "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", bearer: Mint(Meshd.CaDirectory, Claims())));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("csr:", error.Status.Detail);
    }

    [Fact]
    public async Task CreateCertificate_RenewalWithTheIssuedCertificate_NeedsNoToken_ButOnlyForItsOwnIdentity()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var first = Parse(await CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, Catalog), bearer: Mint(Meshd.CaDirectory, Claims())))[0];
        using var current = X509CertificateLoader.LoadPkcs12(first.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
        using var nextKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var renewed = Parse(await CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(nextKey, Catalog), clientCertificate: current));
        var other = await Assert.ThrowsAsync<RpcException>(() => CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(nextKey, "spiffe://cluster.local/ns/shop/sa/payments"), clientCertificate: current));

        Assert.Contains(Catalog, renewed[0].Extensions["2.5.29.17"]!.Format(false));
        Assert.Equal(nextKey.ExportSubjectPublicKeyInfo(), renewed[0].PublicKey.ExportSubjectPublicKeyInfo());
        Assert.NotEqual(first.SerialNumber, renewed[0].SerialNumber);
        Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);
    }

    [Fact]
    public async Task CreateCertificate_ClientCertificateFromAnotherCa_IsUnauthenticated()
    {
        var certs = Path.Combine(MeshdProcess.SharedSamples, "security", "certs");
        using var foreign = X509Certificate2.CreateFromPemFile(Path.Combine(certs, "workload-foo-cert.pem"), Path.Combine(certs, "workload-foo-key.pem"));
        using var presented = X509CertificateLoader.LoadPkcs12(foreign.Export(X509ContentType.Pkcs12), null);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync(Meshd, Roots(Meshd.CaDirectory), Csr(key, Catalog), clientCertificate: presented));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("client certificate refused", error.Status.Detail);
    }

    [Fact]
    public async Task CreateCertificate_PlugInCaFromIstioSamples_IssuesAChainThatVerifiesToItsRoot()
    {
        var certs = Path.Combine(MeshdProcess.SharedSamples, "security", "certs");
        await using var meshd = MeshdProcess.StartWithCa(certs);
        await meshd.WaitReadyAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var chain = Parse(await CallAsync(meshd, Roots(certs), Csr(key, Catalog), bearer: Mint(certs, Claims())));

        var root = Roots(certs)[0];
        Assert.Equal(3, chain.Count);
        Assert.Equal(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(certs, "ca-cert.pem"))).Thumbprint, chain[1].Thumbprint);
        Assert.Equal(root.Thumbprint, chain[^1].Thumbprint);
        Assert.True(Verifies(chain, Roots(certs)));
    }

    internal static X509Certificate2Collection Roots(string caDirectory)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(caDirectory, "root-cert.pem"));
        return roots;
    }

    internal static string Csr(ECDsa key, string uri)
    {
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(uri));
        request.CertificateExtensions.Add(san.Build(critical: true));
        return request.CreateSigningRequestPem();
    }

    internal static async Task<IstioCertificateResponse> CallAsync(MeshdProcess meshd, X509Certificate2Collection roots, string csr, string? bearer = null, X509Certificate2? clientCertificate = null, long validitySeconds = 0, string? authorization = null)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = MeshRootTrust.Only(roots),
        };
        if (clientCertificate != null)
        {
            ssl.ClientCertificates = [clientCertificate];
        }

        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{meshd.SecurePort}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { SslOptions = ssl } });
        var headers = new Metadata();
        if (bearer != null)
        {
            headers.Add("authorization", "Bearer " + bearer);
        }
        else if (authorization != null)
        {
            headers.Add("authorization", authorization);
        }

        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        return await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = csr, ValidityDuration = validitySeconds }, headers, DateTime.UtcNow.AddSeconds(20));
    }

    internal static List<X509Certificate2> Parse(IstioCertificateResponse response) =>
        response.CertChain.Select(pem => X509Certificate2.CreateFromPem(pem)).ToList();

    internal static bool Verifies(IReadOnlyList<X509Certificate2> chain, X509Certificate2Collection roots)
    {
        using var verifier = new X509Chain();
        verifier.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verifier.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verifier.ChainPolicy.CustomTrustStore.AddRange(roots);
        verifier.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).ToArray());
        return verifier.Build(chain[0]);
    }

    private static string Claims(string audience = "istio-ca", DateTimeOffset? issuedAt = null, DateTimeOffset? expires = null)
    {
        var iat = issuedAt ?? DateTimeOffset.UtcNow;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = "spiffe://cluster.local",
            ["sub"] = "system:serviceaccount:shop:catalog",
            ["aud"] = audience,
            ["iat"] = iat.ToUnixTimeSeconds(),
            ["nbf"] = iat.ToUnixTimeSeconds(),
            ["exp"] = (expires ?? iat.AddHours(1)).ToUnixTimeSeconds(),
        });
    }

    /// <summary>A JWT signed by hand with the key in <c>ca-key.pem</c> (ES256 or RS256), so claims can be bent.</summary>
    private static string Mint(string caDirectory, string claims)
    {
        var pem = File.ReadAllText(Path.Combine(caDirectory, "ca-key.pem"));
        var rsa = pem.Contains("RSA", StringComparison.Ordinal) || X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(caDirectory, "ca-cert.pem"))).GetRSAPublicKey() != null;
        var signingInput = Encode(rsa ? "{\"alg\":\"RS256\",\"typ\":\"JWT\"}" : "{\"alg\":\"ES256\",\"typ\":\"JWT\"}") + "." + Encode(claims);
        byte[] signature;
        if (rsa)
        {
            using var key = RSA.Create();
            key.ImportFromPem(pem);
            signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        else
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        }

        return signingInput + "." + Base64Url(signature);
    }

    private static string Encode(string json) => Base64Url(Encoding.UTF8.GetBytes(json));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
