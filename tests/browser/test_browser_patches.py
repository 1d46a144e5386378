"""What ui.use_navigation buys, on a server nobody has visited yet."""

from dlviz.tools.serve import browser, main_area, streamlit_server


def test_the_first_visitor_of_a_fresh_server_arriving_by_a_deep_link_gets_the_whole_app():
    """Without the patch Streamlit would run pages/gradient_descent.py alone, as an old-style multipage app:
    no projector switch, no grouped navigation, for this visitor and everyone after."""
    from playwright.sync_api import expect

    with streamlit_server() as url, browser(1400, 900) as page:
        page.goto(url + "/gradient_descent")
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_text("Projector mode")).to_be_visible(timeout=120_000)  # app.py ran
        expect(sidebar.get_by_text("Foundations")).to_be_visible()  # its st.navigation groups
        expect(main_area(page).get_by_text("Gradient descent").first).to_be_visible()
        expect(page).to_have_title("dlviz: deep learning, live")
