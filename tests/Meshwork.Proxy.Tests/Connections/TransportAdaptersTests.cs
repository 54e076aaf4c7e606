using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Meshwork.Proxy.Connections;

namespace Meshwork.Proxy.Tests.Connections;

public class TransportAdaptersTests
{
    [Fact]
    public async Task PeekAsync_HelloArrivingInPieces_ReadsItAndConsumesNothing()
    {
        var hello = await ClientHelloCapture.CaptureAsync("peek.test", "h2");
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(hello.AsMemory(0, 10));

        var peek = ClientHelloPeek.PeekAsync(pipe.Reader, CancellationToken.None).AsTask();
        Assert.False(peek.IsCompleted);
        await pipe.Writer.WriteAsync(hello.AsMemory(10));
        var result = await peek.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("peek.test", result.ServerName);
        var next = await pipe.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(hello, next.Buffer.ToArray());
    }

    [Fact]
    public async Task PeekAsync_PlaintextThenClose_IsNotTlsAndLeavesTheBytes()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("GET / HTTP/1.1\r\n"u8.ToArray());

        var result = await ClientHelloPeek.PeekAsync(pipe.Reader, CancellationToken.None);

        Assert.Equal(ClientHelloStatus.NotTls, result.Status);
        var next = await pipe.Reader.ReadAsync();
        Assert.Equal("GET / HTTP/1.1\r\n", Encoding.ASCII.GetString(next.Buffer.ToArray()));
    }

    [Fact]
    public async Task DuplexPipeStream_ShutdownWrite_CompletesTheOutputOnly()
    {
        var input = new Pipe();
        var output = new Pipe();
        await using var stream = new DuplexPipeStream(new DuplexPipe(input.Reader, output.Writer));

        await stream.WriteAsync("out"u8.ToArray());
        await TcpProxy.ShutdownWriteAsync(stream);
        await input.Writer.WriteAsync("in"u8.ToArray());

        var written = await output.Reader.ReadAsync();
        Assert.Equal("out", Encoding.ASCII.GetString(written.Buffer.ToArray()));
        Assert.True(written.IsCompleted);
        var buffer = new byte[2];
        await stream.ReadExactlyAsync(buffer);
        Assert.Equal("in", Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public async Task PrefixedStream_ReplaysThePrefixThenTheRest()
    {
        await using var stream = new PrefixedStream("abc"u8.ToArray(), new MemoryStream("def"u8.ToArray()));
        var buffer = new byte[2];
        var output = new List<byte>();
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        Assert.Equal("abcdef", Encoding.ASCII.GetString(output.ToArray()));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
