using Meshwork.Proxy.Http;
using EscapedSlashes = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.PathWithEscapedSlashesAction;

namespace Meshwork.Proxy.Tests.Authorization;

public class PathNormalizerTests
{
    private static readonly PathNormalizer MergeSlashes = new(normalize: true, mergeSlashes: true, EscapedSlashes.KeepUnchanged);

    [Theory]
    [InlineData("/admin/x", "/admin/x")]
    [InlineData("/admin/../admin/x", "/admin/x")]
    [InlineData("/a/b/../../admin/x", "/admin/x")]
    [InlineData("/../../admin/x", "/admin/x")]
    [InlineData("/./admin/./x", "/admin/x")]
    [InlineData("/admin/x/..", "/admin/")]
    [InlineData("/admin/x/.", "/admin/x/")]
    [InlineData("//admin///x", "/admin/x")]
    [InlineData("/%61dmin/x", "/admin/x")]
    [InlineData("/admin/%2e%2e/admin/x", "/admin/x")]
    [InlineData("/%2E/admin", "/admin")]
    [InlineData("/a%7e%5f%2D", "/a~_-")]
    [InlineData("/a%3f%20b", "/a%3F%20b")]
    [InlineData("/admin\\..\\x", "/x")]
    [InlineData("/admin%2Fx", "/admin%2Fx")]
    [InlineData("/ADMIN/x", "/ADMIN/x")]
    public void Normalize_MergeSlashes_GivesEnvoysPath(string path, string expected)
    {
        Assert.Equal(PathVerdict.Continue, MergeSlashes.Normalize(path, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void Normalize_CleanPath_ReturnsTheSameString()
    {
        const string Path = "/api/v1/items";

        MergeSlashes.Normalize(Path, out var normalized);

        Assert.Same(Path, normalized);
    }

    [Fact]
    public void Normalize_BaseWithoutMerge_KeepsDoubleSlashes()
    {
        var normalizer = new PathNormalizer(normalize: true, mergeSlashes: false, EscapedSlashes.KeepUnchanged);

        normalizer.Normalize("//admin/../x", out var normalized);

        Assert.Equal("//x", normalized);
    }

    [Fact]
    public void Normalize_None_LeavesThePathAlone()
    {
        var normalizer = new PathNormalizer(normalize: false, mergeSlashes: false, EscapedSlashes.KeepUnchanged);

        Assert.False(normalizer.IsActive);
        normalizer.Normalize("/a/../b", out var normalized);
        Assert.Equal("/a/../b", normalized);
    }

    [Theory]
    [InlineData("/admin%2Fx", "/admin/x")]
    [InlineData("/admin%2fx", "/admin/x")]
    [InlineData("/admin%5Cx", "/admin/x")]
    [InlineData("/x/..%2Fadmin%2Fy", "/admin/y")]
    public void Normalize_UnescapeAndForward_DecodesSlashesFirst(string path, string expected)
    {
        var normalizer = new PathNormalizer(normalize: true, mergeSlashes: true, EscapedSlashes.UnescapeAndForward);

        Assert.Equal(PathVerdict.Continue, normalizer.Normalize(path, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void Normalize_RejectRequest_RejectsEscapedSlashes()
    {
        var normalizer = new PathNormalizer(normalize: true, mergeSlashes: true, EscapedSlashes.RejectRequest);

        Assert.Equal(PathVerdict.Reject, normalizer.Normalize("/admin%2Fx", out _));
        Assert.Equal(PathVerdict.Continue, normalizer.Normalize("/admin/x", out _));
    }

    [Fact]
    public void Normalize_UnescapeAndRedirect_RedirectsToTheUnescapedPath()
    {
        var normalizer = new PathNormalizer(normalize: true, mergeSlashes: true, EscapedSlashes.UnescapeAndRedirect);

        Assert.Equal(PathVerdict.Redirect, normalizer.Normalize("/admin%2F%2Fx", out var location));
        Assert.Equal("/admin/x", location);
    }
}
