import pytest
from django.template import Context, Template
from django.template.loader import render_to_string


@pytest.mark.parametrize("rag", ["red", "amber", "green", None, "", "purple"])
def test_rag_tag_prints_what_the_include_prints(rag):
    included = render_to_string("apprentices/_rag_tag.html", {"rag": rag})
    filtered = Template("{% load rag %}{{ rag|rag_tag }}").render(Context({"rag": rag}))
    assert filtered == included.strip()
