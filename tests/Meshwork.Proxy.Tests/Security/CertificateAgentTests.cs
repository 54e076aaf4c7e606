using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Tests.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>The agent on a fake clock against an in-process CA: when it renews, how it backs off, what it keeps, what it asks for.</summary>
public sealed class CertificateAgentTests : IDisposable
{
    private const string Identity = "spiffe://cluster.local/ns/shop/sa/catalog";
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(24);

    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly TestMeshCa _ca;
    private readonly SecretStore _store = new(active: true);

    public CertificateAgentTests() => _ca = new TestMeshCa(_time, _directory.Path);

    public void Dispose()
    {
        _ca.Dispose();
        _directory.Dispose();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    public void RotationDelay_HalfLifeWithJitter_StaysWithinOnePercentOfHalf(double random)
    {
        var now = _time.GetUtcNow();

        var delay = RotationPolicy.RotationDelay(now, now + Ttl, now, random);

        Assert.InRange(delay, Ttl * 0.49, Ttl * 0.51);
        if (random == 0.5)
        {
            Assert.Equal(Ttl / 2, delay);
        }
    }

    [Fact]
    public void RotationDelay_BackdatedNotBefore_CountsTheLifetimeFromReceipt()
    {
        var now = _time.GetUtcNow();

        // meshd backdates a minute; with a 20 s TTL half of notBefore..notAfter would already be past.
        var delay = RotationPolicy.RotationDelay(now.AddMinutes(-1), now.AddSeconds(20), now, 0.5);

        Assert.Equal(TimeSpan.FromSeconds(10), delay);
    }

    [Fact]
    public void Backoff_DoublesFromOneSecond_AndIsCappedAtThirtySeconds_WithJitterInTheUpperHalf()
    {
        double[] ceilings = [1, 2, 4, 8, 16, 30, 30, 30];
        for (var failures = 1; failures <= ceilings.Length; failures++)
        {
            var ceiling = TimeSpan.FromSeconds(ceilings[failures - 1]);
            Assert.Equal(ceiling / 2, RotationPolicy.Backoff(failures, 0));
            Assert.InRange(RotationPolicy.Backoff(failures, 0.999999), ceiling * 0.99, ceiling);
        }

        Assert.Equal(TimeSpan.FromSeconds(30), RotationPolicy.Backoff(1000, 1.0));
    }

    [Fact]
    public async Task RenewAsync_First_StoresLeafWithKeyAndTheRoot_AndRenewsAtHalfLife()
    {
        var agent = Agent(random: 0.5);

        var wait = await agent.RenewAsync(CancellationToken.None);

        var certificate = Assert.IsType<WorkloadCertificate>(_store.Certificate);
        Assert.True(certificate.Leaf.HasPrivateKey);
        Assert.Contains(Identity, certificate.Leaf.Extensions["2.5.29.17"]!.Format(false));
        Assert.Contains(_store.Roots!.Roots, r => r.Thumbprint == _ca.Root.Thumbprint);
        Assert.Equal(Ttl / 2, wait);
    }

    [Fact]
    public async Task RenewAsync_CaUnreachable_KeepsTheCurrentCertificateUntilItExpires_ThenDropsIt()
    {
        var agent = Agent(random: 0.5, ttl: TimeSpan.FromMinutes(10));
        await agent.RenewAsync(CancellationToken.None);
        var issued = _store.Certificate!;
        _ca.Unreachable = true;

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            waits.Add(await agent.RenewAsync(CancellationToken.None));
            Assert.Same(issued, _store.Certificate);
        }

        Assert.Equal([TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6)], waits);

        _time.Advance(TimeSpan.FromMinutes(7));
        await agent.RenewAsync(CancellationToken.None);

        Assert.Null(_store.Certificate);
        Assert.NotNull(_store.Roots);
    }

    [Fact]
    public async Task RenewAsync_CaBackAfterFailures_IssuesAgain_AndTheBackoffStartsOver()
    {
        var agent = Agent(random: 0.5);
        _ca.Unreachable = true;
        await agent.RenewAsync(CancellationToken.None);
        await agent.RenewAsync(CancellationToken.None);
        Assert.Null(_store.Certificate);
        _ca.Unreachable = false;

        await agent.RenewAsync(CancellationToken.None);
        _ca.Unreachable = true;
        var wait = await agent.RenewAsync(CancellationToken.None);

        Assert.NotNull(_store.Certificate);
        Assert.Equal(TimeSpan.FromSeconds(0.75), wait);
    }

    [Fact]
    public async Task RenewAsync_EachRotation_UsesAFreshKey_AndPresentsTheCurrentCertificate()
    {
        var agent = Agent(random: 0.5);
        await agent.RenewAsync(CancellationToken.None);
        var first = _store.Certificate!;
        _time.Advance(Ttl / 2);

        await agent.RenewAsync(CancellationToken.None);

        var second = _store.Certificate!;
        Assert.NotEqual(first.Leaf.SerialNumber, second.Leaf.SerialNumber);
        Assert.NotEqual(first.Leaf.PublicKey.ExportSubjectPublicKeyInfo(), second.Leaf.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Null(_ca.Presented[0]);
        Assert.Equal(first.Leaf.Thumbprint, _ca.Presented[1]!.Thumbprint);
        Assert.NotEqual(first.Version, second.Version);
    }

    [Theory]
    [InlineData(WorkloadKeyType.EcdsaP256, "1.2.840.10045.2.1")]
    [InlineData(WorkloadKeyType.Rsa2048, "1.2.840.113549.1.1.1")]
    public async Task RenewAsync_Csr_CarriesOnlyTheSpiffeUriSan_AndTheChosenKeyType(WorkloadKeyType keyType, string keyOid)
    {
        var agent = Agent(random: 0.5, keyType: keyType);

        await agent.RenewAsync(CancellationToken.None);

        var csr = CertificateRequest.LoadSigningRequestPem(_ca.Csrs.Single(), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        Assert.Equal(keyOid, csr.PublicKey.Oid.Value);
        if (keyType == WorkloadKeyType.Rsa2048)
        {
            Assert.Equal(2048, csr.PublicKey.GetRSAPublicKey()!.KeySize);
        }

        var san = Assert.Single(csr.CertificateExtensions, e => e.Oid!.Value == "2.5.29.17");
        Assert.Equal($"URI:{Identity}", san.Format(false));
    }

    private CertificateAgent Agent(double random, TimeSpan? ttl = null, WorkloadKeyType keyType = WorkloadKeyType.EcdsaP256)
    {
        var options = new AgentOptions { CaAddress = "127.0.0.1:1", RootCertFile = _ca.RootFile, TokenFile = null, CertTtl = ttl ?? Ttl, KeyType = keyType };
        return new CertificateAgent(options, Identity, _ca, _store, _time, () => random, NullLogger<CertificateAgent>.Instance);
    }
}
