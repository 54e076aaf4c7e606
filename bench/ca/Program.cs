using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.Citadel;

// The CA benchmark (../shared/PERFORMANCE.md, "CA"): workload certificates signed per second, the
// way CreateCertificate will sign them — read the CSR PEM, check its self-signature, issue a 24 h
// leaf for its SPIFFE identity — for each CA key type and each workload key type, on one core and
// on all cores. Prints a table; with --doc FILE it also writes the "# CA" section of that file.
var duration = TimeSpan.FromSeconds(args.Length > 0 && double.TryParse(args[0], CultureInfo.InvariantCulture, out var seconds) ? seconds : 3);
var doc = args.SkipWhile(a => a != "--doc").Skip(1).FirstOrDefault();
var now = DateTimeOffset.UtcNow;
var rows = new List<string>();
foreach (var caKey in new[] { CaKeyType.EcdsaP256, CaKeyType.Rsa2048 })
{
    var directory = Directory.CreateTempSubdirectory("ca-bench-").FullName;
    try
    {
        using var ca = CaStore.LoadOrCreate(directory, "cluster.local", caKey, now);
        foreach (var (workloadKey, csrs) in new[] { ("ECDSA P-256", Csrs(ecdsa: true)), ("RSA-2048", Csrs(ecdsa: false)) })
        {
            var single = Measure(ca, csrs, 1, duration, now);
            var all = Measure(ca, csrs, Environment.ProcessorCount, duration, now);
            var line = $"| {(caKey == CaKeyType.EcdsaP256 ? "ECDSA P-256" : "RSA-2048")} | {workloadKey} | {single:N0} | {all:N0} ({Environment.ProcessorCount} cores) |";
            rows.Add(line);
            Console.WriteLine(line);
        }
    }
    finally
    {
        Directory.Delete(directory, recursive: true);
    }
}

if (doc != null)
{
    WriteSection(doc, rows, duration);
}

return 0;

// 64 distinct CSRs per key type, made up front: key generation is the workload's cost, not the CA's.
static string[] Csrs(bool ecdsa) => Enumerable.Range(0, 64).Select(i =>
{
    using AsymmetricAlgorithm key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
    var request = key is ECDsa e
        ? new CertificateRequest(string.Empty, e, HashAlgorithmName.SHA256)
        : new CertificateRequest(string.Empty, (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    var san = new SubjectAlternativeNameBuilder();
    san.AddUri(new Uri($"spiffe://cluster.local/ns/bench/sa/workload-{i}"));
    request.CertificateExtensions.Add(san.Build());
    return request.CreateSigningRequestPem();
}).ToArray();

static double Measure(CertificateAuthority ca, string[] csrs, int threads, TimeSpan duration, DateTimeOffset now)
{
    long signed = 0;
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
    {
        var i = t;
        while (clock.Elapsed < duration)
        {
            var request = CertificateRequest.LoadSigningRequestPem(csrs[i++ % csrs.Length], HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
            foreach (var certificate in ca.Issue(request, TimeSpan.FromHours(24), now).Take(1))
            {
                certificate.Dispose();
            }

            Interlocked.Increment(ref signed);
        }
    }, TaskCreationOptions.LongRunning)).ToArray();
    Task.WaitAll(workers);
    return signed / clock.Elapsed.TotalSeconds;
}

static void WriteSection(string path, List<string> rows, TimeSpan duration)
{
    var section = new StringBuilder()
        .AppendLine("# CA")
        .AppendLine()
        .AppendLine("Written by `bench/ca/run` (method: ../shared/PERFORMANCE.md, \"CA\"): parse a CSR PEM, check its")
        .AppendLine("signature, issue a 24 h leaf for its SPIFFE identity, as CreateCertificate does; certificates per")
        .AppendLine(CultureInfo.InvariantCulture, $"second over {duration.TotalSeconds:0} s per cell, 64 distinct CSRs per key type made up front.")
        .AppendLine()
        .AppendLine(CultureInfo.InvariantCulture, $"- Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} CPUs; .NET {Environment.Version}")
        .AppendLine()
        .AppendLine("| CA key | workload key | signed/s, 1 thread | signed/s, all cores |")
        .AppendLine("|---|---|---|---|");
    rows.ForEach(r => section.AppendLine(r));
    section.AppendLine()
        .AppendLine("A certificate costs a few hundred microseconds on one thread, about ten times an ECDSA P-256")
        .AppendLine("signature alone (openssl: ~25,000/s per core): checking the CSR's signature (an ECDSA verify costs")
        .AppendLine("more than an RSA one, hence the faster RSA-2048 workload rows) and building the certificate objects")
        .AppendLine("take the rest, which is where CreateCertificate (issue 6) has room to gain. The time for N new")
        .AppendLine("workloads to all hold a certificate needs that service and the agent (issue 6).");
    var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
    var start = lines.FindIndex(l => l.TrimEnd() == "# CA");
    if (start >= 0)
    {
        var end = lines.FindIndex(start + 1, l => l.StartsWith("# ", StringComparison.Ordinal));
        lines.RemoveRange(start, (end < 0 ? lines.Count : end) - start);
    }

    var text = string.Join('\n', lines).TrimEnd('\n') + "\n\n" + section.ToString().TrimEnd() + "\n";
    File.WriteAllText(path, text);
}
