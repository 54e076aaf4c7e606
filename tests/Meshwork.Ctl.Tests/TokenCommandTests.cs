using Meshwork.Citadel;
using Meshwork.Citadel.Authentication;
using Meshwork.Ctl.Commands;

namespace Meshwork.Ctl.Tests;

public sealed class TokenCommandTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("meshctl-token-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Create_PrintsATokenTheCaVerifies_WithTheGivenTtl()
    {
        using var ca = CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = TokenCommand.Run(_dir, "shop", "catalog", "30m", "cluster.local", Now, stdout, stderr);
        var token = stdout.ToString().Trim();
        var (identity, _) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now.AddMinutes(29));
        var (late, reason) = await BootstrapToken.VerifyAsync(ca, token, "cluster.local", Now.AddMinutes(31));

        Assert.Equal(0, exit);
        Assert.Equal(new WorkloadIdentity("shop", "catalog"), identity);
        Assert.Null(late);
        Assert.Contains("expired", reason);
    }

    [Theory]
    [InlineData("Shop", "catalog", "1h", "--namespace: 'Shop' is not a Kubernetes name")]
    [InlineData("shop", "", "1h", "--service-account: '' is not a Kubernetes name")]
    [InlineData("shop", "catalog", "soon", "--ttl: 'soon' is not a positive duration")]
    [InlineData("shop", "catalog", "-1h", "--ttl: '-1h' is not a positive duration")]
    public void Create_BadArguments_ExitTwoNamingTheOption(string ns, string sa, string ttl, string expected)
    {
        CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.EcdsaP256, Now).Dispose();
        var stderr = new StringWriter();

        var exit = TokenCommand.Run(_dir, ns, sa, ttl, "cluster.local", Now, new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.StartsWith("meshctl: " + expected, stderr.ToString());
    }

    [Fact]
    public void Create_NoCaInDirectory_ExitTwoNamingTheFile()
    {
        var stderr = new StringWriter();

        var exit = TokenCommand.Run(_dir, "shop", "catalog", "1h", "cluster.local", Now, new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains($"--ca-dir: {Path.Combine(_dir, "ca-key.pem")}: missing", stderr.ToString());
    }

    [Fact]
    public async Task Process_TokenCreate_PrintsOneJwtLine()
    {
        CaStore.LoadOrCreate(_dir, "cluster.local", CaKeyType.Rsa2048, Now).Dispose();

        var (exit, stdout, stderr) = await MeshctlProcess.RunAsync("token", "create", "--ca-dir", _dir, "--namespace", "shop", "--service-account", "catalog");

        Assert.True(exit == 0, stderr);
        Assert.Matches(@"^eyJ[\w-]+\.[\w-]+\.[\w-]+$", stdout.Trim());
    }

    [Fact]
    public async Task Process_TokenCreateWithoutNamespace_ExitsTwo()
    {
        var (exit, _, stderr) = await MeshctlProcess.RunAsync("token", "create", "--ca-dir", _dir, "--service-account", "catalog");

        Assert.Equal(2, exit);
        Assert.Contains("--namespace", stderr);
    }
}
