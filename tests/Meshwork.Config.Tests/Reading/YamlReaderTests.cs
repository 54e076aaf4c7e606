using System.Text;
using Meshwork.Config.Loading;
using Meshwork.Config.Reading;

namespace Meshwork.Config.Tests.Reading;

public class YamlReaderTests
{
    [Fact]
    public void Read_MultiDocument_GivesEachDocumentWithItsLine()
    {
        var result = YamlReader.Read("a: 1\n---\nb: 2\n---\n# only a comment\n---\nc: 3\n");

        Assert.Null(result.Error);
        Assert.Equal([1, 3, 7], result.Documents.Where(d => d.Root is not ScalarNode { IsNull: true } && d.Root != null).Select(d => d.Line));
    }

    [Fact]
    public void Read_NestedValues_CarryTheirLines()
    {
        var result = YamlReader.Read("spec:\n  hosts:\n  - a\n  - b\n");
        var spec = (MappingNode)((MappingNode)result.Documents[0].Root!)["spec"]!;
        var hosts = (SequenceNode)spec["hosts"]!;

        Assert.Equal([3, 4], hosts.Items.Select(i => i.Line));
    }

    [Theory]
    [InlineData("80", ScalarKind.Int)]
    [InlineData("0x1F", ScalarKind.Int)]
    [InlineData("-5", ScalarKind.Int)]
    [InlineData("1.5", ScalarKind.Float)]
    [InlineData("1e3", ScalarKind.Float)]
    [InlineData("yes", ScalarKind.Bool)]
    [InlineData("False", ScalarKind.Bool)]
    [InlineData("~", ScalarKind.Null)]
    [InlineData("1.5s", ScalarKind.String)]
    [InlineData("v1", ScalarKind.String)]
    [InlineData("1.2.3.4", ScalarKind.String)]
    public void Read_PlainScalars_ResolveLikeKubernetes(string text, ScalarKind kind)
    {
        var root = (MappingNode)YamlReader.Read($"k: {text}\n").Documents[0].Root!;

        Assert.Equal(kind, ((ScalarNode)root["k"]!).Kind);
    }

    [Fact]
    public void Read_QuotedNumber_IsAString()
    {
        var root = (MappingNode)YamlReader.Read("k: \"80\"\n").Documents[0].Root!;

        Assert.Equal(ScalarKind.String, ((ScalarNode)root["k"]!).Kind);
    }

    [Fact]
    public void Read_Aliases_ShareTheAnchoredNode()
    {
        var root = (MappingNode)YamlReader.Read("a: &x {k: v}\nb: *x\n").Documents[0].Root!;

        Assert.Same(root["a"], root["b"]);
    }

    [Fact]
    public void Read_MergeKey_CopiesMissingEntries()
    {
        var root = (MappingNode)YamlReader.Read("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n").Documents[0].Root!;
        var derived = (MappingNode)root["derived"]!;

        Assert.Equal(["x", "y"], derived.Entries.Select(e => e.Key.Value));
        Assert.Equal("3", ((ScalarNode)derived["y"]!).Value);
    }

    [Fact]
    public void Read_AliasBomb_IsRefusedWithALine()
    {
        var bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i < 10; i++)
        {
            var name = (char)('a' + i);
            var prev = (char)('a' + i - 1);
            bomb.Append($"{name}: &{name} [{string.Join(",", Enumerable.Repeat("*" + prev, 9))}]\n");
        }

        var result = YamlReader.Read(bomb.ToString());

        Assert.NotNull(result.Error);
        Assert.Contains("refusing to expand", result.Error!.Message);
        Assert.InRange(result.Error.Line, 2, 10);
    }

    [Fact]
    public void Read_ModestAliasUse_IsAccepted()
    {
        var yaml = "labels: &l {app: x, version: v1}\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"s{i}: *l\n"));

        Assert.Null(YamlReader.Read(yaml).Error);
    }

    [Fact]
    public void Read_UnknownAlias_IsAnError()
    {
        var result = YamlReader.Read("a: *nothing\n");

        Assert.Equal(new ReadError(1, "malformed YAML: unknown alias *nothing"), result.Error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_5000DeepNesting_IsRefusedWithoutStackOverflow(bool flow)
    {
        var yaml = flow
            ? "a: " + new string('[', 5000) + new string(']', 5000) + "\n"
            : string.Concat(Enumerable.Range(0, 5000).Select(i => new string(' ', i) + $"k{i}:\n"));

        var result = YamlReader.Read(yaml);

        Assert.Equal("nesting is deeper than 256 levels", result.Error?.Message);
    }

    [Theory]
    [InlineData("a: \"unterminated\nb: 1\n", 1)]
    [InlineData("a: [1, 2\nb: 3\n", 1)]
    [InlineData("a: 1\n b: 2\n", 2)]
    [InlineData("a:\n\t- x\n", 2)]
    [InlineData("- a\nb: 1\n", 2)]
    public void Read_BrokenSyntax_GivesOneLocatedError(string yaml, int line)
    {
        var result = YamlReader.Read(yaml);

        Assert.NotNull(result.Error);
        Assert.StartsWith("malformed YAML: ", result.Error!.Message);
        Assert.Equal(line, result.Error.Line);
    }

    [Fact]
    public void Read_EmptyText_HasNoDocuments()
    {
        var result = YamlReader.Read(string.Empty);

        Assert.Null(result.Error);
        Assert.Empty(result.Documents);
    }

    [Fact]
    public void ReadBytes_BinaryContent_IsRefused()
    {
        var outcome = ConfigReader.ReadBytes([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01], "a.out.yaml");

        Assert.Equal(["a.out.yaml:1: not a text file (binary content)"], outcome.Diagnostics.Select(d => d.ToString()));
    }

    [Fact]
    public void ReadBytes_InvalidUtf8_NamesTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes("a: 1\nb: 2\nc: ").Concat(new byte[] { 0xC3, 0x28 }).ToArray();

        var outcome = ConfigReader.ReadBytes(bytes, "x.yaml");

        Assert.Equal(["x.yaml:3: not valid UTF-8 text"], outcome.Diagnostics.Select(d => d.ToString()));
    }

    [Fact]
    public void ReadBytes_ByteOrderMark_IsIgnored()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")).ToArray();

        var outcome = ConfigReader.ReadBytes(bytes, "x.yaml");

        Assert.Empty(outcome.Diagnostics);
        Assert.Equal(1, outcome.Skipped);
    }
}
