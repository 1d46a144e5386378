"""The Convolution page's kernel editor in a real browser: typing into a cell makes the filter a custom one."""

from dlviz.tools.serve import browser, main_area, streamlit_server, wait_drawn


def test_typing_a_kernel_cell_turns_the_filter_custom_and_refilters(tmp_path):
    from playwright.sync_api import expect

    with streamlit_server() as url, browser(1400, 1000) as page:
        page.goto(url + "/convolution?kernel=identity")
        main = main_area(page)
        grid = main.locator('[data-testid="stDataFrame"]').first
        expect(grid).to_be_visible(timeout=120_000)
        wait_drawn(page)
        response = main.locator('[data-testid="stImage"] img').nth(1)
        before = response.get_attribute("src")
        box = grid.bounding_box()
        rows, header = 3, 35  # the grid's header and rows are 35 px tall
        row_height = (box["height"] - header) / rows
        page.mouse.dblclick(box["x"] + box["width"] * 0.5, box["y"] + header + row_height * 0.5)  # row 0, column 1
        cell = page.locator("input.gdg-input")  # the grid's cell editor opens over the cell
        expect(cell).to_have_value("0", timeout=30_000)
        cell.fill("-1")
        cell.press("Enter")
        expect(main.get_by_role("combobox", name="Filter")).to_have_value("Custom", timeout=60_000)
        expect(response).not_to_have_attribute("src", before, timeout=60_000)  # a new picture
        assert "kernel=custom" in page.url and "custom=0%2C-1%2C0" in page.url.replace(",", "%2C")
        expect(main.locator('[data-testid="stException"]')).to_have_count(0)
