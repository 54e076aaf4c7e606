using System.Buffers.Binary;
using System.Text;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Tests.Telemetry;

/// <summary>Istio's TCP metadata exchange on the wire: the announcement's framing, and what a relayed stream passes on.</summary>
public class TcpPeerExchangeTests
{
    private static readonly PeerMetadata Sleep = new("sleep", "default", new Dictionary<string, string> { ["app"] = "sleep", ["version"] = "v1" }, "Kubernetes", "sleep");

    [Fact]
    public void Preamble_IstiosFraming_MagicLengthThenAnyOfStruct()
    {
        var preamble = TcpPeerExchange.Preamble(Sleep, "sidecar~127.0.0.9~sleep.default~default.svc.cluster.local");

        Assert.Equal(0x3D230467u, BinaryPrimitives.ReadUInt32BigEndian(preamble));
        Assert.Equal(preamble.Length - 8, (int)BinaryPrimitives.ReadUInt32BigEndian(preamble.AsSpan(4)));
        var any = Google.Protobuf.WellKnownTypes.Any.Parser.ParseFrom(preamble.AsSpan(8));
        Assert.Equal("type.googleapis.com/google.protobuf.Struct", any.TypeUrl);
        var data = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseFrom(any.Value).Fields;
        Assert.Equal("sidecar~127.0.0.9~sleep.default~default.svc.cluster.local", data["x-envoy-peer-metadata-id"].StringValue);
        Assert.Equal("sleep", data["x-envoy-peer-metadata"].StructValue.Fields["WORKLOAD_NAME"].StringValue);
    }

    [Fact]
    public async Task PeerExchangeStream_AnnouncementThenData_ReportsThePeerAndRelaysOnlyTheData()
    {
        var bytes = TcpPeerExchange.Preamble(Sleep, "id").Concat(Encoding.ASCII.GetBytes("hello")).ToArray();
        PeerMetadata? seen = null;
        await using var stream = new PeerExchangeStream(new MemoryStream(bytes), peer => seen = peer);

        var relayed = await ReadAllAsync(stream);

        Assert.Equal("hello", relayed);
        Assert.Equal(("sleep", "default", "v1"), (seen?.Workload, seen?.Namespace, seen?.Labels["version"]));
    }

    [Fact]
    public async Task PeerExchangeStream_NoMagic_PassesEveryByteOnAndReportsNoPeer()
    {
        var reported = false;
        PeerMetadata? seen = Sleep;
        await using var stream = new PeerExchangeStream(new MemoryStream(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n")), peer => (reported, seen) = (true, peer));

        var relayed = await ReadAllAsync(stream);

        Assert.Equal("GET / HTTP/1.1\r\n", relayed);
        Assert.True(reported);
        Assert.Null(seen);
    }

    [Fact]
    public async Task PeerExchangeStream_ShortStream_PassesItOn()
    {
        await using var stream = new PeerExchangeStream(new MemoryStream("abc"u8.ToArray()), _ => { });

        Assert.Equal("abc", await ReadAllAsync(stream));
    }

    private static async Task<string> ReadAllAsync(Stream stream)
    {
        var output = new MemoryStream();
        var buffer = new byte[3];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(output.ToArray());
    }
}
