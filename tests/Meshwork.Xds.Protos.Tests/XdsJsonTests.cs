using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Xds.Protos;

namespace Meshwork.Xds.Protos.Tests;

public sealed class XdsJsonTests
{
    [Fact]
    public void Files_NameEveryProtoFileOfTheAssembly()
    {
        var scanned = typeof(XdsJson).Assembly.GetTypes()
            .Where(t => typeof(IMessage).IsAssignableFrom(t))
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static))
            .Where(p => p != null)
            .Select(p => ((MessageDescriptor)p!.GetValue(null)!).File.Name)
            .ToHashSet(StringComparer.Ordinal);

        var listed = XdsJson.Files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

        Assert.Empty(scanned.Except(listed).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Format_PrintsAnAnyPayloadByItsType()
    {
        var router = new Envoy.Extensions.Filters.Http.Router.V3.Router { SuppressEnvoyHeaders = true };

        var json = XdsJson.Format(new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter
        {
            Name = "envoy.filters.http.router",
            TypedConfig = Any.Pack(router),
        });

        Assert.Contains("\"@type\": \"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\"", json);
        Assert.Contains("\"suppressEnvoyHeaders\": true", json);
    }
}
