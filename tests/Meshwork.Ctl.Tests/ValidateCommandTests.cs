namespace Meshwork.Ctl.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshctl-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(args, new StringReader(string.Empty), stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private const string GoodRule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
          subsets:
          - name: v1
            labels:
              version: v1
        """;

    private const string BadRoute = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: shop
          namespace: retail
        spec:
          hosts:
          - shop
          http:
          - route:
            - destination:
                host: shop
                subset: v1
              weight: -5
        """;

    [Fact]
    public async Task Validate_ValidFile_PrintsOkAndExitsZero()
    {
        var file = Write("rule.yaml", GoodRule);

        var (exit, stdout, _) = await Run("validate", "-f", file);

        Assert.Equal(0, exit);
        Assert.Equal("OK: 1 resource in 1 file\n", stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Validate_InvalidFile_PrintsOneLocatedLinePerErrorAndExitsOne()
    {
        var file = Write("routes.yaml", BadRoute);

        var (exit, stdout, stderr) = await Run("validate", "-f", file);

        Assert.Equal(1, exit);
        Assert.Equal($"{file}:14: VirtualService retail/shop: spec.http[0].route[0].weight: must not be negative, got -5\n", stdout.ReplaceLineEndings("\n"));
        Assert.Contains("FAILED: 1 error in 1 of 1 file", stderr);
    }

    [Fact]
    public async Task Validate_IstioMixerSamples_AllLoad()
    {
        const string samples = "/work/shared/istio-samples/mixer";
        Assert.True(Directory.Exists(samples), $"{samples} is missing");
        var (exit, stdout, stderr) = await Run("validate", "-f", samples);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Matches(@"^OK: \d+ resources in \d+ files", stdout);
        Assert.DoesNotContain("warning", stdout);
    }

    [Fact]
    public async Task Validate_MixerRuleWithoutHandler_IsLocatedError()
    {
        var file = Write("rule.yaml", """
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata:
              name: deny
            spec:
              actions:
              - instances: [nothing]
            """);
        var (exit, stdout, _) = await Run("validate", "-f", file);
        Assert.Equal(1, exit);
        Assert.Contains($"{file}:7: rule default/deny: spec.actions[0].handler: required: the handler that receives the instances", stdout);
    }

    [Fact]
    public async Task Validate_Directory_ReadsYamlYmlAndJsonRecursively()
    {
        Write("a.yaml", GoodRule);
        Write("nested/b.yml", GoodRule.Replace("reviews", "ratings"));
        Write("nested/deeper/c.json", """{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "details"}, "spec": {"host": "details"}}""");
        Write("README.md", "not config");

        var (exit, stdout, _) = await Run("validate", "-f", _dir);

        Assert.Equal(0, exit);
        Assert.Equal("OK: 3 resources in 3 files\n", stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Validate_SeveralPaths_ReportsErrorsOfEach()
    {
        var good = Write("good.yaml", GoodRule);
        var bad = Write("bad.yaml", BadRoute);

        var (exit, stdout, stderr) = await Run("validate", "-f", good, "-f", bad);

        Assert.Equal(1, exit);
        Assert.Single(stdout.Trim().Split('\n'));
        Assert.Contains("FAILED: 1 error in 1 of 2 files", stderr);
    }

    [Fact]
    public async Task Validate_WarningsOnly_PrintsThemAndStillSucceeds()
    {
        var file = Write("w.yaml", """
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata:
              name: f
            spec: {}
            """);

        var (exit, stdout, _) = await Run("validate", "-f", file);

        Assert.Equal(0, exit);
        Assert.StartsWith($"{file}:2: warning: EnvoyFilter (networking.istio.io) is not supported by Meshwork yet; not validated", stdout);
        Assert.EndsWith("OK: 0 resources in 1 file\n", stdout.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData(new[] { "validate" }, "meshctl: Option '--filename' is required.")]
    [InlineData(new[] { "validate", "-f", "/no/such/file.yaml" }, "meshctl: cannot read \"/no/such/file.yaml\": no such file or directory")]
    [InlineData(new[] { "validate", "--bogus", "x" }, "meshctl: Unrecognized command or argument '--bogus'.")]
    [InlineData(new[] { "frobnicate" }, "meshctl: Unrecognized command or argument 'frobnicate'.")]
    [InlineData(new[] { "proxy-config", "bogus" }, "meshctl: Argument 'bogus' not recognized. Must be one of: 'cluster' 'listener' 'route' 'endpoint' 'secret' 'all'")]
    public async Task Validate_BadUsageOrUnreadablePath_ExitsTwoWithOneLine(string[] args, string reason)
    {
        var (exit, _, stderr) = await Run(args);

        Assert.Equal(2, exit);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith(reason, line);
    }

    [Fact]
    public async Task Validate_EmptyDirectory_ExitsTwo()
    {
        var (exit, _, stderr) = await Run("validate", "-f", _dir);

        Assert.Equal(2, exit);
        Assert.Equal($"meshctl: no .yaml, .yml or .json files in \"{_dir}\"", stderr.Trim());
    }

    [Fact]
    public async Task Validate_EndlessDevice_StopsAtTheSizeLimit()
    {
        var (exit, stdout, _) = await Run("validate", "-f", "/dev/zero");

        Assert.Equal(1, exit);
        Assert.Equal("/dev/zero:1: file is larger than the 64 MiB limit", stdout.Trim());
    }

    [Fact]
    public async Task Validate_Stdin_IsRead()
    {
        var stdout = new StringWriter();
        var exit = await CommandLine.RunAsync(["validate", "-f", "-"], new StringReader(BadRoute), stdout, new StringWriter());

        Assert.Equal(1, exit);
        Assert.StartsWith("<stdin>:14: VirtualService retail/shop: spec.http[0].route[0].weight:", stdout.ToString());
    }

    // Each input is built when its test runs: a 10 MiB byte array as theory data would be serialized
    // element by element at discovery, which grows the test host without bound.
    public static TheoryData<string> HostileInputNames() =>
        ["garbage.yaml", "empty.yaml", "bomb.yaml", "deep.yaml", "deep.json", "quote.yaml", "big.yaml"];

    private static byte[] HostileInput(string name)
    {
        var bomb = new System.Text.StringBuilder("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (var i = 1; i < 10; i++)
        {
            bomb.Append($"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(",", Enumerable.Repeat("*" + (char)('a' + i - 1), 9))}]\n");
        }

        var big = new System.Text.StringBuilder("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: big}\nspec:\n  resolution: DNS\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  hosts:\n");
        for (var i = 0; big.Length < 10 * 1024 * 1024; i++)
        {
            big.Append($"  - host{i}.example.com\n");
        }

        var garbage = new byte[4096];
        new Random(42).NextBytes(garbage);
        return name switch
        {
            "garbage.yaml" => garbage,
            "empty.yaml" => [],
            "bomb.yaml" => System.Text.Encoding.UTF8.GetBytes(bomb.ToString()),
            "deep.yaml" => System.Text.Encoding.UTF8.GetBytes("a: " + new string('[', 5000) + new string(']', 5000)),
            "deep.json" => System.Text.Encoding.UTF8.GetBytes(new string('{', 1) + string.Concat(Enumerable.Repeat("\"a\":{", 5000)) + new string('}', 5001)),
            "quote.yaml" => System.Text.Encoding.UTF8.GetBytes("apiVersion: 'networking.istio.io/v1\nkind: VirtualService\n"),
            "big.yaml" => System.Text.Encoding.UTF8.GetBytes(big.ToString()),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such hostile input"),
        };
    }

    [Theory]
    [MemberData(nameof(HostileInputNames))]
    public async Task Validate_HostileInput_NeverCrashes(string name)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllBytesAsync(path, HostileInput(name));

        var (exit, stdout, stderr) = await Run("validate", "-f", path);

        Assert.InRange(exit, 0, 1);
        Assert.DoesNotContain("   at ", stdout + stderr);
        Assert.DoesNotContain("internal error", stdout + stderr);
        if (exit == 1)
        {
            Assert.All(stdout.Trim().Split('\n'), line => Assert.StartsWith(path + ":", line));
        }
    }
}
