using System.Buffers;
using System.Text;
using Meshwork.Proxy.Connections;

namespace Meshwork.Proxy.Tests.Connections;

public class ClientHelloReaderTests
{
    [Fact]
    public async Task Read_RealClientHello_ReturnsSniAndAlpnInOrder()
    {
        var hello = await ClientHelloCapture.CaptureAsync("api.example.com", "h2", "http/1.1");

        var result = ClientHelloReader.Read(new ReadOnlySequence<byte>(hello));

        Assert.Equal(ClientHelloStatus.Tls, result.Status);
        Assert.Equal("api.example.com", result.ServerName);
        Assert.Equal(["h2", "http/1.1"], result.ApplicationProtocols);
    }

    [Fact]
    public async Task Read_NoSniNoAlpn_IsTlsWithoutThem()
    {
        var hello = await ClientHelloCapture.CaptureAsync(null);

        var result = ClientHelloReader.Read(new ReadOnlySequence<byte>(hello));

        Assert.Equal(ClientHelloStatus.Tls, result.Status);
        Assert.Null(result.ServerName);
        Assert.Empty(result.ApplicationProtocols);
    }

    [Fact]
    public async Task Read_EveryPrefix_NeedsMoreDataUntilComplete()
    {
        var hello = await ClientHelloCapture.CaptureAsync("api.example.com", "h2");

        for (var length = 0; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloReader.Read(new ReadOnlySequence<byte>(hello, 0, length)).Status);
        }

        Assert.Equal(ClientHelloStatus.Tls, ClientHelloReader.Read(new ReadOnlySequence<byte>(hello)).Status);
    }

    [Fact]
    public async Task Read_HelloSplitOverRecordsAndSegments_IsReassembled()
    {
        var hello = ClientHelloCapture.Refragment(await ClientHelloCapture.CaptureAsync("split.example.com", "http/1.1"), fragment: 7);

        var result = ClientHelloReader.Read(Segmented(hello, segment: 3));

        Assert.Equal(ClientHelloStatus.Tls, result.Status);
        Assert.Equal("split.example.com", result.ServerName);
        Assert.Equal(["http/1.1"], result.ApplicationProtocols);
    }

    [Fact]
    public async Task Read_FollowedByMoreBytes_StillReadsTheHello()
    {
        var hello = await ClientHelloCapture.CaptureAsync("a.example.com");

        var result = ClientHelloReader.Read(new ReadOnlySequence<byte>([.. hello, 23, 3, 3, 0, 1, 0]));

        Assert.Equal("a.example.com", result.ServerName);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("\u0080\u0001")]
    public void Read_PlaintextProtocols_AreNotTls(string text)
    {
        Assert.Equal(ClientHelloStatus.NotTls, ClientHelloReader.Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text))).Status);
    }

    [Fact]
    public void Read_DeclaredHelloBeyondLimit_IsTooLarge()
    {
        // A handshake record whose ClientHello says it is 64 KiB long.
        byte[] bytes = [22, 3, 1, 0, 4, 1, 1, 0, 0];

        Assert.Equal(ClientHelloStatus.TooLarge, ClientHelloReader.Read(new ReadOnlySequence<byte>(bytes)).Status);
    }

    [Fact]
    public async Task Read_CorruptedLengths_AreNotTlsNeverExceptions()
    {
        var hello = await ClientHelloCapture.CaptureAsync("api.example.com", "h2", "http/1.1");
        for (var i = 9; i < hello.Length; i++)
        {
            var corrupted = hello.ToArray();
            corrupted[i] = 0xff;
            var status = ClientHelloReader.Read(new ReadOnlySequence<byte>(corrupted)).Status;
            Assert.True(Enum.IsDefined(status));
        }
    }

    [Fact]
    public async Task Read_RandomMutationsAndGarbage_NeverThrow()
    {
        var hello = await ClientHelloCapture.CaptureAsync("fuzz.example.com", "h2", "http/1.1");
        var random = new Random(12345);
        for (var round = 0; round < 20_000; round++)
        {
            byte[] input;
            if (round % 4 == 0)
            {
                input = new byte[random.Next(0, 600)];
                random.NextBytes(input);
                if (input.Length > 0 && round % 8 == 0)
                {
                    input[0] = 22;
                }
            }
            else
            {
                input = hello.AsSpan(0, random.Next(0, hello.Length + 1)).ToArray();
                for (var flips = random.Next(1, 6); flips > 0 && input.Length > 0; flips--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
            }

            var result = ClientHelloReader.Read(Segmented(input, segment: 1 + (round % 13)));
            Assert.True(Enum.IsDefined(result.Status));
        }
    }

    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int segment)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, Math.Min(segment, bytes.Length)), 0);
        var last = first;
        for (var offset = segment; offset < bytes.Length; offset += segment)
        {
            last = last.Append(bytes.AsMemory(offset, Math.Min(segment, bytes.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
